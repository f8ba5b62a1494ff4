using System;
using System.Text;

namespace SsoSecret.Internal;

/// <summary>
/// A backup's armored text given to a command instead of a file (pasted from a password manager, piped from
/// Get-Clipboard or Get-Content, or Backup-SsoMasterSecret -Armor's output): one string, or its lines one by one.
/// Collected whole before it is read, then read as a file's bytes are (UTF-8: a header line may hold a hint).
/// </summary>
internal sealed class ArmoredTextInput
{
    /// <summary>What messages and prompts call a backup given as text.</summary>
    internal const string Name = "the armored text";

    private readonly StringBuilder _text = new();

    /// <summary>True once any text was taken.</summary>
    internal bool HasText { get; private set; }

    /// <summary>
    /// True when <paramref name="value"/>, piped where a path is expected, is a backup's text rather than a path: it
    /// starts (after white space) with the armor's BEGIN line, or a text is being collected already (its next line). A
    /// file name never starts with "-----BEGIN SSOSECRET BACKUP-----", so no path is taken for text.
    /// </summary>
    internal bool TakePiped(string value)
    {
        if (!HasText && !value.TrimStart().StartsWith(Armor.BeginLine, StringComparison.Ordinal))
        {
            return false;
        }

        Add(value);
        return true;
    }

    /// <summary>Adds a piece of the text: the whole text, or one of its lines.</summary>
    internal void Add(string value)
    {
        HasText = true;

        // A backup is at most 65,536 bytes: beyond twice that, more text cannot make it one, and is not kept.
        if (_text.Length <= 2 * BackupEnvelope.MaxInputLength)
        {
            _text.Append(value).Append('\n');
        }
    }

    /// <summary>The text as the bytes of a file that holds it.</summary>
    internal byte[] ToBytes() => Encoding.UTF8.GetBytes(_text.ToString());
}
