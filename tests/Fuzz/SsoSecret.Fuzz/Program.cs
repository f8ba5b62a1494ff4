using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using SharpFuzz;

namespace SsoSecret.Fuzz;

/// <summary>
/// The fuzzing harness of the readers of untrusted bytes: the backup reader, the store file reader, the vault file
/// reader and a replica's sealed ring reader. Every input goes through all four (<see cref="Run"/>): a backup is not a
/// store file, a vault file nor a sealed ring, and each reader's oracle holds for any input. Modes:
///   replay PATH...            runs every file (folders recursively) once; no engine needed. Exit 1 on a finding.
///   afl                       the target under afl-fuzz, through SharpFuzz (build.ps1 -Task Fuzz sets it up).
///   libfuzzer                 the target under libFuzzer, through SharpFuzz's libfuzzer-dotnet driver.
///   mutate SECONDS PATH...    a built-in random mutator (no coverage feedback) over the corpus, for when no
///                             engine is installed; findings go to $SSOSECRET_FUZZ_FINDINGS or ./findings.
///   write-seeds FOLDER        writes the deterministic seeds (backups binary and armored, store files and the
///                             store edge cases) the oracles know.
/// </summary>
internal static class Program
{
    /// <summary>Both readers on one input; the outcomes, or a finding (any exception).</summary>
    private static string Run(byte[] input) => "backup: " + FuzzTarget.Run(input) + "; store: " + StoreFuzzTarget.Run(input) + "; vault: " + VaultFuzzTarget.Run(input) + "; sealed ring: " + SealedRingFuzzTarget.Run(input);

    private static int Main(string[] args)
    {
        string mode = args.Length > 0 ? args[0] : string.Empty;
        switch (mode)
        {
            case "replay":
                return Replay(args.Skip(1));
            case "afl":
                Fuzzer.OutOfProcess.Run(stream =>
                {
                    using var memory = new MemoryStream();
                    stream.CopyTo(memory);
                    Run(memory.ToArray());
                });
                return 0;
            case "libfuzzer":
                Fuzzer.LibFuzzer.Run(span => Run(span.ToArray()));
                return 0;
            case "mutate" when args.Length >= 3:
                return Mutate(double.Parse(args[1], CultureInfo.InvariantCulture), args.Skip(2));
            case "write-seeds" when args.Length == 2:
                WriteSeeds(args[1]);
                return 0;
            default:
                Console.Error.WriteLine("usage: SsoSecret.Fuzz replay PATH... | afl | libfuzzer | mutate SECONDS PATH... | write-seeds FOLDER");
                return 2;
        }
    }

    private static IEnumerable<string> Files(IEnumerable<string> paths) =>
        paths.SelectMany(p => Directory.Exists(p) ? Directory.EnumerateFiles(p, "*", SearchOption.AllDirectories).Where(f => !Path.GetFileName(f).StartsWith('.') && !f.EndsWith(".md", StringComparison.OrdinalIgnoreCase)) : new[] { p })
            .OrderBy(f => f, StringComparer.Ordinal);

    private static int Replay(IEnumerable<string> paths)
    {
        int passed = 0;
        int failed = 0;
        foreach (string file in Files(paths))
        {
            try
            {
                string outcome = Run(File.ReadAllBytes(file));
                Console.WriteLine($"  ok   {file}: {outcome}");
                passed++;
            }
            catch (Exception e)
            {
                Console.WriteLine($"  FAIL {file}: {e}");
                failed++;
            }
        }

        Console.WriteLine($"Argon2id: {string.Join(" and ", FuzzTarget.Providers.Select(p => p.Description))}");
        Console.WriteLine($"Fuzz corpus replay: {passed} passed, {failed} failed");
        return failed == 0 && passed > 0 ? 0 : 1;
    }

    private static void WriteSeeds(string folder)
    {
        Directory.CreateDirectory(folder);
        foreach (var (name, binary) in FuzzTarget.Seeds)
        {
            File.WriteAllBytes(Path.Combine(folder, name + ".bak"), binary);
            File.WriteAllText(Path.Combine(folder, name + "-armored.bak"), Armor.Encode(binary), Encoding.ASCII);
        }

        foreach (var (name, data) in StoreFuzzTarget.Seeds)
        {
            // Store files of version 2 as "store2-*", of version 3 as "store3-*"; the corpus keeps version 1's as
            // "store-*" (read and migrated).
            string file = name == "store-version-1" ? name : name.StartsWith("store-v3-", StringComparison.Ordinal) ? name.Replace("store-v3-", "store3-") : name.Replace("store-", "store2-");
            File.WriteAllBytes(Path.Combine(folder, file + ".dat"), data);
        }

        foreach (var (name, data) in StoreEdges())
        {
            File.WriteAllBytes(Path.Combine(folder, name + ".dat"), data);
        }

        foreach (var (name, data) in VaultFuzzTarget.Seeds.Concat(VaultEdges()))
        {
            File.WriteAllBytes(Path.Combine(folder, name + ".vault"), data);
        }

        foreach (var (name, data) in SealedRingFuzzTarget.Seeds)
        {
            File.WriteAllBytes(Path.Combine(folder, name + ".ssring"), data);
        }
    }

    /// <summary>
    /// Vault files (docs/vault-format.md) at the edges of the reader's checks, every checksum valid: the whole file
    /// refused (version, count), an entry damaged (a type of 6, a second entry of the same name), framing damage (a
    /// length out of bounds, a trailing byte).
    /// </summary>
    private static IEnumerable<(string Name, byte[] Data)> VaultEdges()
    {
        var five = VaultFuzzTarget.Seeds.First(s => s.Name == "vault-five").Data;
        byte[] Edit(Action<List<byte>> change)
        {
            var data = five.ToList();
            change(data);
            return VaultFuzzTarget.WithChecksumsRecomputed(data.ToArray())!;
        }

        yield return ("edge-vault-version-2", Edit(d => d[8] = 2));
        yield return ("edge-vault-count-10001", Edit(d => { d[9] = 0; d[10] = 0; d[11] = 0x27; d[12] = 0x11; }));
        yield return ("edge-vault-count-6", Edit(d => d[12] = 6));
        yield return ("edge-vault-type-6", Edit(d => d[17] = 6));
        yield return ("edge-vault-length-huge", Edit(d => { d[13] = 0xff; d[14] = 0xff; }));
        yield return ("edge-vault-trailing-byte", Edit(d => d.Insert(d.Count - 32, 0)));
        yield return ("edge-vault-cut-short", five.Take(40).ToArray());
    }

    /// <summary>
    /// Store files (version 2, docs/store-format.md) at the edges of the reader's checks, each with a valid checksum:
    /// every one is damage. Offsets in "store-full": 9 the version's low byte, 10 protection, 11 flags, 12 count; the
    /// current secret's entry at 13: id, created at 29, L at 37, the 32-byte secret at 39, R at 71, its record's time
    /// at 72, N at 80, path at 82.
    /// </summary>
    private static IEnumerable<(string Name, byte[] Data)> StoreEdges()
    {
        var full = StoreFuzzTarget.Seeds.First(s => s.Name == "store-full").Data;
        byte[] Edit(byte[] source, Action<List<byte>> edit)
        {
            var data = new List<byte>(source);
            edit(data);
            return StoreFuzzTarget.WithChecksumRecomputed(data.ToArray())!;
        }

        yield return ("edge-store2-version-3", Edit(full, d => d[9] = 3));
        yield return ("edge-store2-dpapi-on-unix", Edit(full, d => d[10] = 1));
        // As version 1's fuzzing finding: a Windows (DPAPI) store that holds no secret was read on Linux.
        yield return ("edge-store2-dpapi-no-secret", Edit(StoreFuzzTarget.Seeds.First(s => s.Name == "store-empty").Data, d => d[10] = 1));
        yield return ("edge-store2-undefined-flag", Edit(full, d => d[11] = 0x03));
        yield return ("edge-store2-count-33", Edit(full, d => d[12] = 33));
        // The current secret cut to 15 bytes, its length field with it: one byte under the smallest secret.
        yield return ("edge-store2-secret-15-bytes", Edit(full, d => { d[37] = 0; d[38] = 15; d.RemoveRange(39, 17); }));
        // The created time set to 2^63 - 1 milliseconds: beyond year 9999.
        yield return ("edge-store2-time-out-of-range", Edit(full, d => { d[29] = 0x7F; for (int i = 30; i < 37; i++) { d[i] = 0xFF; } }));
        // The current secret's record's path made invalid UTF-8 (a lone continuation byte).
        yield return ("edge-store2-path-not-utf8", Edit(full, d => d[82] = 0x80));
        // Five records announced for the current secret.
        yield return ("edge-store2-five-records", Edit(full, d => d[71] = 5));
        // A byte between the last entry and the checksum.
        yield return ("edge-store2-trailing-byte", Edit(full, d => d.Insert(d.Count - 32, 0)));
    }

    /// <summary>
    /// A plain havoc mutator in the manner of afl-fuzz's, without coverage feedback: stacks of bit flips, interesting
    /// values written into the header's fields, block insertions, deletions, duplications, splices and truncations.
    /// </summary>
    private static int Mutate(double seconds, IEnumerable<string> paths)
    {
        var corpus = Files(paths).Select(File.ReadAllBytes).Where(b => b.Length > 0).ToList();
        if (corpus.Count == 0)
        {
            Console.Error.WriteLine("The corpus is empty.");
            return 2;
        }

        string findings = Environment.GetEnvironmentVariable("SSOSECRET_FUZZ_FINDINGS") ?? Path.Combine(Environment.CurrentDirectory, "findings");
        int seed = Environment.GetEnvironmentVariable("SSOSECRET_FUZZ_SEED") is string s ? int.Parse(s, CultureInfo.InvariantCulture) : Environment.TickCount;
        var random = new Random(seed);
        Console.WriteLine($"Built-in mutator: {corpus.Count} corpus files, {seconds} s, seed {seed}; findings go to {findings}");
        var watch = Stopwatch.StartNew();
        long executions = 0;
        int found = 0;
        var outcomes = new Dictionary<string, long>();
        while (watch.Elapsed.TotalSeconds < seconds)
        {
            var input = Havoc(random, corpus);
            executions++;
            try
            {
                string outcome = Run(input);
                outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
            }
            catch (Exception e)
            {
                found++;
                Directory.CreateDirectory(findings);
                string name = Convert.ToHexString(SHA256.HashData(input)).Substring(0, 16).ToLowerInvariant();
                File.WriteAllBytes(Path.Combine(findings, name + ".bin"), input);
                File.WriteAllText(Path.Combine(findings, name + ".txt"), e.ToString());
                Console.WriteLine($"FINDING {name}: {e.GetType().Name}: {e.Message}");
            }
        }

        Console.WriteLine($"{executions} executions in {watch.Elapsed.TotalSeconds:0} s ({executions / Math.Max(1, watch.Elapsed.TotalSeconds):0}/s), {found} findings.");
        foreach (var pair in outcomes.OrderByDescending(p => p.Value).Take(12))
        {
            Console.WriteLine($"  {pair.Value,9}  {pair.Key}");
        }

        return found == 0 ? 0 : 1;
    }

    private static readonly long[] s_interesting = { 0, 1, 2, 7, 8, 15, 16, 17, 31, 32, 64, 127, 128, 255, 256, 512, 1023, 1024, 1025, 2048, 2049, 4096, 65535, 65536, 1048576, 4194304, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, -1 };

    private static readonly int[] s_fieldOffsets =
    {
        BackupEnvelope.VersionOffset, BackupEnvelope.FlagsOffset, BackupEnvelope.KdfIdOffset, BackupEnvelope.AeadIdOffset,
        BackupEnvelope.MemoryOffset, BackupEnvelope.IterationsOffset, BackupEnvelope.ParallelismOffset, BackupEnvelope.SaltOffset,
        BackupEnvelope.CreatedOffset, BackupEnvelope.SecretIdOffset, BackupEnvelope.FingerprintOffset,
        BackupEnvelope.SecretLengthOffset, BackupEnvelope.HintLengthOffset, BackupEnvelope.HintOffset,
    };

    // The store file's fixed fields: version, protection, presence, the current secret's id, created and length.
    private static readonly int[] s_storeFieldOffsets = { 8, 10, 11, 12, 28, 36 };

    private static byte[] Havoc(Random random, List<byte[]> corpus)
    {
        var data = new List<byte>(corpus[random.Next(corpus.Count)]);
        bool store = StoreFuzzTarget.LooksLikeStore(data.ToArray());
        var fieldOffsets = store ? s_storeFieldOffsets : s_fieldOffsets;
        int steps = 1 << random.Next(1, 5);
        for (int i = 0; i < steps; i++)
        {
            // Half of the positions aim at the binary header's fields, where the reader's decisions are.
            int Position() => data.Count == 0 ? 0 : random.Next(2) == 0 && data.Count > BackupEnvelope.HintOffset
                ? Math.Min(data.Count - 1, fieldOffsets[random.Next(fieldOffsets.Length)] + random.Next(4))
                : random.Next(data.Count);
            switch (random.Next(10))
            {
                case 0:
                    if (data.Count > 0)
                    {
                        int p = Position();
                        data[p] ^= (byte)(1 << random.Next(8));
                    }

                    break;
                case 1:
                    if (data.Count > 0)
                    {
                        data[Position()] = (byte)random.Next(256);
                    }

                    break;
                case 2:
                case 3:
                    int width = new[] { 1, 2, 4, 8 }[random.Next(4)];
                    if (data.Count >= width)
                    {
                        int p = Math.Min(Position(), data.Count - width);
                        long value = s_interesting[random.Next(s_interesting.Length)];
                        for (int k = 0; k < width; k++)
                        {
                            data[p + k] = (byte)(value >> (8 * (width - 1 - k)));
                        }
                    }

                    break;
                case 4:
                    var block = new byte[random.Next(1, 64)];
                    random.NextBytes(block);
                    data.InsertRange(random.Next(data.Count + 1), block);
                    break;
                case 5:
                    if (data.Count > 1)
                    {
                        int p = random.Next(data.Count);
                        data.RemoveRange(p, Math.Min(random.Next(1, 64), data.Count - p));
                    }

                    break;
                case 6:
                    if (data.Count > 1)
                    {
                        int p = random.Next(data.Count);
                        int length = Math.Min(random.Next(1, 128), data.Count - p);
                        data.InsertRange(random.Next(data.Count + 1), data.GetRange(p, length));
                    }

                    break;
                case 7:
                    var other = corpus[random.Next(corpus.Count)];
                    int cut = random.Next(Math.Min(data.Count, other.Length) + 1);
                    data = data.Take(cut).Concat(other.Skip(cut)).ToList();
                    break;
                case 8:
                    if (data.Count > 0)
                    {
                        int keep = random.Next(data.Count);
                        data.RemoveRange(keep, data.Count - keep);
                    }

                    break;
                default:
                    // Armor-shaped damage: white space, line breaks and base64 characters.
                    const string chars = " \t\r\n=+/AZaz09-";
                    data.Insert(random.Next(data.Count + 1), (byte)chars[random.Next(chars.Length)]);
                    break;
            }
        }

        return data.ToArray();
    }
}
