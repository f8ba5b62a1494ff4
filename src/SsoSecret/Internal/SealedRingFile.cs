using System;
using SsoSecret.IO;

namespace SsoSecret.Internal;

/// <summary>
/// A sealed ring in a file (Export-SsoSealedRing -Path writes it, Import-SsoSealedRing -Path and Get-SsoSealedRing read
/// it): read as any file a command is given (a regular file only, never more than the largest sealed ring and one
/// byte, so that an over-long file is refused by the ring's own first check), and its failures named by the file.
/// </summary>
internal static class SealedRingFile
{
    /// <summary>
    /// The bytes of the file at <paramref name="path"/>: PathIsFolder, FileNotFound, NotARegularFile or ReadFailed when
    /// it cannot be read; at most <see cref="SealedRing.MaxLength"/> + 1 bytes.
    /// </summary>
    internal static byte[] Read(string path) => GivenFile.Read(
        path,
        "sealed ring file",
        "give the path of a sealed ring file (<replica fingerprint>.ssring, as Export-SsoSealedRing -Path writes it)",
        SealedRing.MaxLength);

    /// <summary>Runs a check of the ring read from <paramref name="path"/>; a refusal of the ring's names the file.</summary>
    internal static T At<T>(string path, Func<T> check)
    {
        try
        {
            return check();
        }
        catch (EnvironmentException e) when (e.Path is null)
        {
            throw new EnvironmentException(e.Failure, $"'{path}': {e.Message}", path, e) { RecommendedAction = e.RecommendedAction };
        }
    }

    /// <summary>The output of a sealed ring: its header, as anyone can read it, and its bytes.</summary>
    internal static SsoSealedRing Output(SealedRingHeader header, byte[] data) => new()
    {
        EnvironmentId = header.EnvironmentId,
        Generation = header.Generation,
        MasterFingerprint = new MasterIdentity(header.EnvironmentId, header.MasterPublicKey).Fingerprint,
        ReplicaFingerprint = header.ReplicaFingerprint,
        RingDigest = header.DigestHex,
        Created = header.Created.UtcDateTime,
        Data = data,
    };
}
