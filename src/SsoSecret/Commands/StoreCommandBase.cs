using System.Management.Automation;
using SsoSecret.Internal;

namespace SsoSecret.Commands;

/// <summary>
/// What the commands that work on a secret store share: -StorePath, and the store it names. Commands that only read
/// backup files or time the KDF have no store, and so no -StorePath.
/// </summary>
public abstract class StoreCommandBase : SsoSecretCommandBase
{
    /// <summary>The secret store folder. Without it: $env:SSOSECRET_STORE, else the platform default.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? StorePath { get; set; }

    /// <summary>The store this call works on: -StorePath, else $env:SSOSECRET_STORE, else the platform default.</summary>
    private protected MasterSecretStore OpenStore() => StoreLocation.Open(this, StorePath);
}
