using System;
using System.Collections.Generic;
using System.Globalization;

namespace SsoSecret.Store;

/// <summary>
/// The Windows store's access control, as logic that runs anywhere: the security descriptor the store folder is
/// created with (as SDDL), and the verdict on the descriptor a folder or file has (read as SDDL on Windows). The store
/// is the Windows counterpart of the Unix owner-only modes: full control for the account that made it, SYSTEM and the
/// local Administrators group (a store under the user's own profile: that account alone), nothing for anyone else, and
/// no permission inherited from the folders above (the DACL is protected), so that a change of ProgramData's
/// permissions never opens it. Files inside inherit exactly the folder's entries.
/// </summary>
internal static class StoreAcl
{
    internal const string SystemSid = "S-1-5-18";
    internal const string AdministratorsSid = "S-1-5-32-544";
    private const string CreatorOwnerSid = "S-1-3-0";

    /// <summary>
    /// The SDDL of a new store folder: a protected DACL (P), marked auto-inherited (AI), whose entries apply to the
    /// folder and are inherited by its files and folders (OICI), full access (FA) for each trusted account.
    /// </summary>
    internal static string FolderSddl(string userSid, bool perUser)
    {
        string user = $"(A;OICI;FA;;;{userSid})";
        if (perUser)
        {
            return "D:PAI" + user;
        }

        var entries = new List<string> { $"(A;OICI;FA;;;{SystemSid})", $"(A;OICI;FA;;;{AdministratorsSid})" };
        if (userSid != SystemSid && userSid != AdministratorsSid)
        {
            entries.Add(user);
        }

        return "D:PAI" + string.Concat(entries);
    }

    /// <summary>What is wrong with a store folder's or file's security descriptor; empty when nothing is.</summary>
    internal sealed class Verdict
    {
        /// <summary>The owner, when it is neither the user, SYSTEM nor Administrators.</summary>
        internal string? ForeignOwner { get; set; }

        /// <summary>True when the descriptor has no DACL (a null DACL lets everyone do everything).</summary>
        internal bool NoDacl { get; set; }

        /// <summary>True for a folder whose DACL is not protected: it takes entries from the folders above.</summary>
        internal bool Inherits { get; set; }

        /// <summary>The accounts other than the trusted ones that an entry allows any access to.</summary>
        internal List<string> Others { get; } = new();

        internal bool IsSecure => ForeignOwner is null && !NoDacl && !Inherits && Others.Count == 0;
    }

    /// <summary>
    /// Judges a descriptor given as SDDL (owner and DACL) for the account <paramref name="userSid"/>: its owner must be
    /// that account, SYSTEM or Administrators; it must have a DACL; a folder's DACL must be protected
    /// (<paramref name="isFolder"/>); and every entry that allows anything, inherited or explicit, inherit-only or not,
    /// must be for a trusted account (CREATOR OWNER on an inherit-only entry too: it becomes the owner of what is made
    /// inside, a trusted account). A deny entry never makes a store insecure. Unknown entry types that allow are
    /// counted as allowing (callback and object entries).
    /// </summary>
    internal static Verdict Judge(string sddl, string userSid, bool isFolder, bool perUser)
    {
        var descriptor = Sddl.Parse(sddl);
        var trusted = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { userSid };
        if (!perUser)
        {
            trusted.Add(SystemSid);
            trusted.Add(AdministratorsSid);
        }

        var verdict = new Verdict();
        if (descriptor.Owner is string owner && !trusted.Contains(owner) && owner != SystemSid && owner != AdministratorsSid)
        {
            verdict.ForeignOwner = owner;
        }

        if (!descriptor.DaclPresent || descriptor.Dacl is null)
        {
            verdict.NoDacl = true;
            return verdict;
        }

        if (isFolder && !descriptor.DaclProtected)
        {
            verdict.Inherits = true;
        }

        foreach (var ace in descriptor.Dacl)
        {
            if (!ace.Allows || ace.Rights == 0)
            {
                continue;
            }

            bool inheritOnly = ace.Flags.Contains("IO");
            if (trusted.Contains(ace.Sid) || (inheritOnly && ace.Sid == CreatorOwnerSid))
            {
                continue;
            }

            if (!verdict.Others.Contains(ace.Sid))
            {
                verdict.Others.Add(ace.Sid);
            }
        }

        return verdict;
    }

    /// <summary>A readable name for a well-known SID, else the SID itself.</summary>
    internal static string Describe(string sid) => sid switch
    {
        "S-1-1-0" => "Everyone",
        "S-1-5-11" => "Authenticated Users",
        "S-1-5-32-545" => "BUILTIN\\Users",
        "S-1-5-32-546" => "BUILTIN\\Guests",
        "S-1-5-4" => "INTERACTIVE",
        "S-1-5-18" => "SYSTEM",
        "S-1-5-32-544" => "BUILTIN\\Administrators",
        "S-1-3-0" => "CREATOR OWNER",
        "S-1-5-7" => "ANONYMOUS LOGON",
        _ => sid,
    };

    /// <summary>
    /// The icacls lines that give the store exactly the module's entries: no inheritance, full control for the trusted
    /// accounts, the others' entries removed, and the files made to inherit the folder's again.
    /// </summary>
    internal static string Fix(string folder, string userSid, bool perUser, IEnumerable<string> others)
    {
        var grants = perUser
            ? $"*{userSid}:(OI)(CI)F"
            : $"*{SystemSid}:(OI)(CI)F *{AdministratorsSid}:(OI)(CI)F" + (userSid == SystemSid || userSid == AdministratorsSid ? string.Empty : $" *{userSid}:(OI)(CI)F");
        var removals = new List<string>();
        foreach (string sid in others)
        {
            removals.Add("*" + sid);
        }

        string remove = removals.Count == 0 ? string.Empty : " /remove:g " + string.Join(" ", removals);
        return $"icacls \"{folder}\" /inheritance:r /grant:r {grants}{remove}; icacls \"{folder}\\*\" /reset /T";
    }
}

/// <summary>
/// The part of the Security Descriptor Definition Language the store check reads: "O:" owner, "D:" DACL flags and its
/// entries "(type;flags;rights;object guid;inherited object guid;account[;attributes])". Account aliases (SY, BA, WD,
/// ...) are turned into SIDs; rights given as letters or as a number are both read. Group ("G:") and SACL ("S:") parts
/// are skipped.
/// </summary>
internal sealed class Sddl
{
    internal string? Owner { get; private set; }

    internal bool DaclPresent { get; private set; }

    internal bool DaclProtected { get; private set; }

    /// <summary>Null for a NULL DACL ("D:NO_ACCESS_CONTROL").</summary>
    internal List<Ace>? Dacl { get; private set; }

    internal sealed class Ace
    {
        internal Ace(string type, string flags, uint rights, string sid)
        {
            Type = type;
            Flags = flags;
            Rights = rights;
            Sid = sid;
        }

        internal string Type { get; }

        internal string Flags { get; }

        internal uint Rights { get; }

        internal string Sid { get; }

        /// <summary>True for every entry that grants access (allow, object allow, callback allow); false for denies.</summary>
        /// <remarks>Only the three deny types are sure to grant nothing; any other type, known or not, is judged as an allow.</remarks>
        internal bool Allows => !(Type is "D" or "OD" or "XD");
    }

    /// <summary>Parses an SDDL string; throws <see cref="FormatException"/> on a malformed one.</summary>
    internal static Sddl Parse(string sddl)
    {
        var result = new Sddl();
        int i = 0;
        while (i < sddl.Length)
        {
            if (i + 1 >= sddl.Length || sddl[i + 1] != ':')
            {
                throw new FormatException($"Unexpected text at {i} in the security descriptor '{sddl}'.");
            }

            char part = sddl[i];
            i += 2;
            int end = NextPart(sddl, i);
            string body = sddl.Substring(i, end - i);
            i = end;
            switch (part)
            {
                case 'O':
                    result.Owner = Sid(body);
                    break;
                case 'D':
                    result.DaclPresent = true;
                    ReadAcl(body, result);
                    break;
                case 'G':
                case 'S':
                    break;
                default:
                    throw new FormatException($"Unknown part '{part}:' in the security descriptor '{sddl}'.");
            }
        }

        return result;
    }

    // A part runs to the next "X:" that is outside parentheses.
    private static int NextPart(string sddl, int start)
    {
        int depth = 0;
        for (int i = start; i < sddl.Length; i++)
        {
            char c = sddl[i];
            if (c == '(')
            {
                depth++;
            }
            else if (c == ')')
            {
                depth--;
            }
            else if (depth == 0 && i + 1 < sddl.Length && sddl[i + 1] == ':' && (c == 'O' || c == 'G' || c == 'D' || c == 'S'))
            {
                return i;
            }
        }

        return sddl.Length;
    }

    private static void ReadAcl(string body, Sddl result)
    {
        int open = body.IndexOf('(');
        string flags = open < 0 ? body : body.Substring(0, open);
        if (flags.Contains("NO_ACCESS_CONTROL"))
        {
            result.Dacl = null;
            return;
        }

        result.DaclProtected = flags.Contains("P");
        var aces = new List<Ace>();
        while (open >= 0)
        {
            int close = body.IndexOf(')', open);
            if (close < 0)
            {
                throw new FormatException($"An entry of the DACL '{body}' is not closed.");
            }

            var fields = body.Substring(open + 1, close - open - 1).Split(';');
            if (fields.Length < 6)
            {
                throw new FormatException($"The DACL entry '({body.Substring(open + 1, close - open - 1)})' has {fields.Length} fields, not 6.");
            }

            aces.Add(new Ace(fields[0], fields[1], Rights(fields[2]), Sid(fields[5])));
            open = body.IndexOf('(', close);
        }

        result.Dacl = aces;
    }

    private static readonly Dictionary<string, uint> s_rights = new(StringComparer.Ordinal)
    {
        ["GA"] = 0x10000000, ["GR"] = 0x80000000, ["GW"] = 0x40000000, ["GX"] = 0x20000000,
        ["RC"] = 0x00020000, ["SD"] = 0x00010000, ["WD"] = 0x00040000, ["WO"] = 0x00080000,
        ["RP"] = 0x10, ["WP"] = 0x20, ["CC"] = 0x1, ["DC"] = 0x2, ["LC"] = 0x4, ["SW"] = 0x8, ["LO"] = 0x80, ["DT"] = 0x40, ["CR"] = 0x100,
        ["FA"] = 0x1F01FF, ["FR"] = 0x120089, ["FW"] = 0x120116, ["FX"] = 0x1200A0,
        ["KA"] = 0xF003F, ["KR"] = 0x20019, ["KW"] = 0x20006, ["KX"] = 0x20019,
    };

    private static uint Rights(string text)
    {
        if (text.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            return uint.Parse(text.Substring(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        }

        if (text.Length > 0 && char.IsDigit(text[0]))
        {
            return uint.Parse(text, NumberStyles.Integer, CultureInfo.InvariantCulture);
        }

        uint rights = 0;
        for (int i = 0; i < text.Length; i += 2)
        {
            if (i + 2 > text.Length || !s_rights.TryGetValue(text.Substring(i, 2), out uint value))
            {
                throw new FormatException($"Unknown access right '{text.Substring(i)}' in '{text}'.");
            }

            rights |= value;
        }

        return rights;
    }

    private static readonly Dictionary<string, string> s_aliases = new(StringComparer.Ordinal)
    {
        ["WD"] = "S-1-1-0", ["CO"] = "S-1-3-0", ["CG"] = "S-1-3-1", ["OW"] = "S-1-3-4", ["AN"] = "S-1-5-7", ["AU"] = "S-1-5-11",
        ["IU"] = "S-1-5-4", ["NU"] = "S-1-5-2", ["SU"] = "S-1-5-6", ["RC"] = "S-1-5-12", ["SY"] = "S-1-5-18", ["LS"] = "S-1-5-19",
        ["NS"] = "S-1-5-20", ["BA"] = "S-1-5-32-544", ["BU"] = "S-1-5-32-545", ["BG"] = "S-1-5-32-546", ["PU"] = "S-1-5-32-547",
        ["AO"] = "S-1-5-32-548", ["SO"] = "S-1-5-32-549", ["PO"] = "S-1-5-32-550", ["BO"] = "S-1-5-32-551", ["RE"] = "S-1-5-32-552",
        ["RU"] = "S-1-5-32-554", ["RD"] = "S-1-5-32-555", ["NO"] = "S-1-5-32-556", ["AC"] = "S-1-15-2-1", ["WR"] = "S-1-5-33",
    };

    private static string Sid(string text)
    {
        if (text.StartsWith("S-", StringComparison.OrdinalIgnoreCase))
        {
            return text.ToUpperInvariant();
        }

        // An alias this table lacks (a domain-relative one such as DA) is kept as it is: never a trusted account.
        return s_aliases.TryGetValue(text, out string? sid) ? sid : text;
    }
}
