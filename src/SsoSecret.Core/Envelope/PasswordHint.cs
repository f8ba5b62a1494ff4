using SsoSecret.Codec;

namespace SsoSecret;

/// <summary>What is wrong with a password hint: the failure it is, and a sentence that says why.</summary>
internal sealed class HintProblem
{
    internal HintProblem(SsoSecretFailure failure, string message)
    {
        Failure = failure;
        Message = message;
    }

    /// <summary><see cref="SsoSecretFailure.HintTooLong"/> or <see cref="SsoSecretFailure.InvalidHint"/>.</summary>
    internal SsoSecretFailure Failure { get; }

    internal string Message { get; }
}

/// <summary>The rules for a password hint (reminder), which a backup stores readable.</summary>
internal static class PasswordHint
{
    /// <summary>The most characters (Unicode code points) a hint may have, as ssoconfig's password reminder.</summary>
    internal const int MaxCharacters = 512;

    /// <summary>The most bytes a hint may take in UTF-8.</summary>
    internal const int MaxBytes = 2048;

    /// <summary>
    /// Reads a hint a file stores (a backup's, a recovery key's): strict UTF-8 that meets <see cref="Check"/>, else the
    /// file is damaged, as the reader's <paramref name="damaged"/> says it.
    /// </summary>
    internal static string Read(byte[] data, int offset, int length, System.Func<string, System.Exception> damaged)
    {
        string hint;
        try
        {
            hint = StrictUtf8.Encoding.GetString(data, offset, length);
        }
        catch (System.ArgumentException)
        {
            throw damaged("its hint is not valid UTF-8");
        }

        if (Check(hint) is HintProblem problem)
        {
            throw damaged("its hint is malformed (" + problem.Message + ")");
        }

        return hint;
    }

    /// <summary>Checks a hint: at most 512 characters, no control characters, no unpaired surrogates. Null when it is fine.</summary>
    internal static HintProblem? Check(string hint)
    {
        int codePoints = 0;
        for (int i = 0; i < hint.Length; i++)
        {
            char c = hint[i];
            if (char.IsHighSurrogate(c) && i + 1 < hint.Length && char.IsLowSurrogate(hint[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                return new HintProblem(SsoSecretFailure.InvalidHint, "The password hint holds an unpaired surrogate character.");
            }
            else if (char.IsControl(c))
            {
                return new HintProblem(SsoSecretFailure.InvalidHint, "The password hint holds a control character; use printable text only.");
            }

            codePoints++;
        }

        if (codePoints > MaxCharacters)
        {
            return new HintProblem(SsoSecretFailure.HintTooLong, $"The password hint is {codePoints} characters long; at most {MaxCharacters} are allowed.");
        }

        if (StrictUtf8.Encoding.GetByteCount(hint) > MaxBytes)
        {
            return new HintProblem(SsoSecretFailure.HintTooLong, $"The password hint is longer than {MaxBytes} bytes in UTF-8.");
        }

        return null;
    }
}
