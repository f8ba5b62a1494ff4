using System.Linq;
using SsoSecret.Store;
using Xunit;

namespace SsoSecret.Tests;

/// <summary>
/// The Windows store's access control as logic (it runs on every platform): the DACL the store folder is created with,
/// and the check's verdict on given security descriptors, among them what Windows gives a folder made under
/// ProgramData without one (inherited, Users may read), inherited and explicit denies, inherit-only entries, a null
/// DACL and a foreign owner.
/// </summary>
public sealed class StoreAclTests
{
    private const string User = "S-1-5-21-1004336348-1177238915-682003330-1001";
    private const string Other = "S-1-5-21-1004336348-1177238915-682003330-1002";

    private static StoreAcl.Verdict Folder(string sddl, bool perUser = false) => StoreAcl.Judge(sddl, User, isFolder: true, perUser);

    private static StoreAcl.Verdict File(string sddl, bool perUser = false) => StoreAcl.Judge(sddl, User, isFolder: false, perUser);

    [Fact]
    public void TheStoreFolderIsBornProtectedForItsAccountSystemAndAdministratorsOnly()
    {
        string sddl = StoreAcl.FolderSddl(User, perUser: false);
        Assert.Equal($"D:PAI(A;OICI;FA;;;S-1-5-18)(A;OICI;FA;;;S-1-5-32-544)(A;OICI;FA;;;{User})", sddl);
        var parsed = Sddl.Parse(sddl);
        Assert.True(parsed.DaclProtected, "inheritance from the folders above must be off");
        Assert.Equal(new[] { StoreAcl.SystemSid, StoreAcl.AdministratorsSid, User }, parsed.Dacl!.Select(ace => ace.Sid));
        Assert.All(parsed.Dacl!, ace => Assert.Equal("OICI", ace.Flags));
        Assert.DoesNotContain(parsed.Dacl!, ace => ace.Sid is "S-1-1-0" or "S-1-5-11" or "S-1-5-32-545");
        Assert.True(StoreAcl.Judge("O:" + User + sddl, User, isFolder: true, perUser: false).IsSecure);
    }

    [Fact]
    public void AStoreUnderTheUsersProfileIsTheUsersAlone()
    {
        string sddl = StoreAcl.FolderSddl(User, perUser: true);
        Assert.Equal($"D:PAI(A;OICI;FA;;;{User})", sddl);
        Assert.True(Folder("O:" + User + sddl, perUser: true).IsSecure);
        // SYSTEM and Administrators are not among a per-user store's accounts.
        Assert.Equal(new[] { StoreAcl.SystemSid }, Folder($"O:{User}D:PAI(A;OICI;FA;;;{User})(A;OICI;FA;;;SY)", perUser: true).Others);
    }

    [Fact]
    public void SystemRunningTheModuleGetsNoDuplicateEntry()
    {
        Assert.Equal("D:PAI(A;OICI;FA;;;S-1-5-18)(A;OICI;FA;;;S-1-5-32-544)", StoreAcl.FolderSddl(StoreAcl.SystemSid, perUser: false));
    }

    [Fact]
    public void AFolderMadeUnderProgramDataWithoutItsOwnDaclIsRefused()
    {
        // What Windows gives a new folder under C:\ProgramData: inherited entries, Users may read and create.
        var verdict = Folder("O:BAG:DUD:AI(A;OICIID;FA;;;SY)(A;OICIID;FA;;;BA)(A;OICIIOID;GA;;;CO)(A;OICIID;0x1200a9;;;BU)(A;CIID;DCLCRPCR;;;BU)");
        Assert.False(verdict.IsSecure);
        Assert.True(verdict.Inherits);
        Assert.Equal(new[] { "S-1-5-32-545" }, verdict.Others);
    }

    [Theory]
    [InlineData("(A;OICI;FR;;;BU)", "S-1-5-32-545")]
    [InlineData("(A;;0x1;;;WD)", "S-1-1-0")]
    [InlineData("(A;OICI;GR;;;AU)", "S-1-5-11")]
    [InlineData("(A;OICIID;FR;;;BU)", "S-1-5-32-545")]
    [InlineData("(A;OICIIO;GR;;;BU)", "S-1-5-32-545")]
    [InlineData("(A;;FW;;;" + Other + ")", Other)]
    [InlineData("(OA;;RP;;;WD)", "S-1-1-0")]
    [InlineData("(XA;;FR;;;IU)", "S-1-5-4")]
    public void AnyAccessForAnotherAccountIsRefusedWhateverItsForm(string entry, string who)
    {
        var verdict = Folder($"O:{User}D:PAI(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;FA;;;{User}){entry}");
        Assert.False(verdict.IsSecure);
        Assert.Equal(new[] { who }, verdict.Others);
    }

    [Theory]
    [InlineData("(D;OICI;FA;;;WD)")]
    [InlineData("(D;OICIID;FA;;;BU)")]
    [InlineData("(A;OICIIO;FA;;;CO)")]
    [InlineData("(A;;0x0;;;BU)")]
    public void DeniesCreatorOwnerOnInheritOnlyEntriesAndEmptyMasksOpenNothing(string entry)
    {
        Assert.True(Folder($"O:{User}D:PAI(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;FA;;;{User}){entry}").IsSecure);
    }

    [Fact]
    public void AFolderThatInheritsIsRefusedEvenWithOnlyTrustedEntries()
    {
        var verdict = Folder($"O:{User}D:AI(A;OICI;FA;;;SY)(A;OICI;FA;;;{User})");
        Assert.True(verdict.Inherits);
        Assert.Empty(verdict.Others);
        Assert.False(verdict.IsSecure);
    }

    [Fact]
    public void AFileInsideInheritsTheFoldersEntriesAndThatIsRight()
    {
        Assert.True(File($"O:{User}D:AI(A;ID;FA;;;SY)(A;ID;FA;;;BA)(A;ID;FA;;;{User})").IsSecure);
        Assert.Equal(new[] { "S-1-5-32-545" }, File($"O:{User}D:AI(A;ID;FA;;;{User})(A;ID;FR;;;BU)").Others);
    }

    [Fact]
    public void ANullDaclAndAMissingDaclAreRefused()
    {
        Assert.True(Folder($"O:{User}D:NO_ACCESS_CONTROL").NoDacl);
        Assert.True(Folder($"O:{User}").NoDacl);
        Assert.False(Folder($"O:{User}D:NO_ACCESS_CONTROL").IsSecure);
    }

    [Fact]
    public void AnOwnerOtherThanTheUserSystemOrAdministratorsIsNamed()
    {
        var verdict = Folder($"O:{Other}D:PAI(A;OICI;FA;;;{User})");
        Assert.Equal(Other, verdict.ForeignOwner);
        Assert.False(verdict.IsSecure);
        Assert.Null(Folder($"O:BAD:PAI(A;OICI;FA;;;{User})").ForeignOwner);
        Assert.Null(Folder($"O:SYD:PAI(A;OICI;FA;;;{User})").ForeignOwner);
    }

    [Fact]
    public void TheFixNamesEveryEntryToRemoveAndMakesTheFilesInheritAgain()
    {
        string fix = StoreAcl.Fix(@"C:\ProgramData\SsoSecret", User, perUser: false, new[] { "S-1-5-32-545", "S-1-1-0" });
        Assert.Equal(
            $"icacls \"C:\\ProgramData\\SsoSecret\" /inheritance:r /grant:r *S-1-5-18:(OI)(CI)F *S-1-5-32-544:(OI)(CI)F *{User}:(OI)(CI)F /remove:g *S-1-5-32-545 *S-1-1-0; icacls \"C:\\ProgramData\\SsoSecret\\*\" /reset /T",
            fix);
    }

    [Theory]
    [InlineData("D:PAI(A;OICI;FA;;;SY")]
    [InlineData("D:PAI(A;OICI;FA;;)")]
    [InlineData("X:foo")]
    [InlineData("D:PAI(A;OICI;QQ;;;SY)")]
    public void AMalformedDescriptorIsAFormatError(string sddl)
    {
        Assert.Throws<System.FormatException>(() => Sddl.Parse(sddl));
    }

    [Fact]
    public void RightsAsLettersAndAsNumbersAreTheSame()
    {
        var letters = Sddl.Parse("D:P(A;;FA;;;SY)").Dacl!.Single();
        var number = Sddl.Parse("D:P(A;;0x1f01ff;;;SY)").Dacl!.Single();
        Assert.Equal(letters.Rights, number.Rights);
        Assert.Equal("S-1-5-18", letters.Sid);
    }
}
