using System;

namespace SsoSecret;

/// <summary>The ways the secret store can refuse to work.</summary>
public enum StoreFailure
{
    /// <summary>The store folder or file can be read or written by other users.</summary>
    Insecure,

    /// <summary>Another process holds the store's lock longer than the wait allows.</summary>
    Busy,

    /// <summary>The store file is unreadable: cut short, altered, or of an unknown version.</summary>
    Damaged,

    /// <summary>The store holds no master secret.</summary>
    NoSecret,

    /// <summary>The store cannot be used: its path is a file, or its folder or files cannot be created or written.</summary>
    Unavailable,
}

/// <summary>The secret store refused an operation. The message names the path and what to do.</summary>
public sealed class StoreException : Exception
{
    /// <summary>Creates the exception.</summary>
    public StoreException(StoreFailure failure, string path, string message)
        : base(message)
    {
        Failure = failure;
        Path = path;
    }

    /// <summary>Why the store refused.</summary>
    public StoreFailure Failure { get; }

    /// <summary>The store folder or file concerned.</summary>
    public string Path { get; }
}
