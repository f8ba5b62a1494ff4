using System;
using System.Management.Automation;

namespace SsoSecret.Internal;

/// <summary>
/// Carries a finished <see cref="ErrorRecord"/> from deep inside a command to the place that writes or throws it.
/// <see cref="Terminating"/> marks errors that concern the whole call (password, store) rather than one item.
/// </summary>
internal sealed class SsoSecretErrorException : Exception
{
    internal SsoSecretErrorException(ErrorRecord record, bool terminating)
        : base(record.Exception.Message)
    {
        Record = record;
        Terminating = terminating;
    }

    internal ErrorRecord Record { get; }

    internal bool Terminating { get; }

    /// <summary>Builds the exception: a stable id, a category, the target, and a recommended action.</summary>
    internal static SsoSecretErrorException Create(
        string errorId,
        string message,
        ErrorCategory category,
        object? target,
        string? recommendedAction = null,
        bool terminating = false,
        Exception? inner = null)
    {
        var exception = inner is null ? new InvalidOperationException(message) : new InvalidOperationException(message, inner);
        var record = new ErrorRecord(exception, errorId, category, target);
        if (!string.IsNullOrEmpty(recommendedAction))
        {
            record.ErrorDetails = new ErrorDetails(message) { RecommendedAction = recommendedAction };
        }

        return new SsoSecretErrorException(record, terminating);
    }
}
