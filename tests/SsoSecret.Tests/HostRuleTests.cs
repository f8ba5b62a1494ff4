using System;
using System.Management.Automation;
using SsoSecret.Internal;
using Xunit;

namespace SsoSecret.Tests;

/// <summary>
/// The parts of "who is at the other end" and of the KDF progress that need no host: the server-mode argument that
/// marks a Start-Job process, and the arithmetic of the time-remaining estimate. (The hosts themselves are tested
/// through the real thing in tests/Pester/Unattended.Tests.ps1.)
/// </summary>
public sealed class HostRuleTests
{
    [Theory]
    [InlineData(true, "pwsh.dll", "-s", "-NoLogo", "-NoProfile", "-wd", "/home/admin")] // Start-Job on pwsh 7
    [InlineData(true, "powershell.exe", "-s", "-NoLogo", "-NoProfile")] // Start-Job on Windows PowerShell
    [InlineData(true, "pwsh", "-ServerMode")]
    [InlineData(true, "pwsh", "/s")]
    [InlineData(true, "pwsh", "--s")]
    [InlineData(false, "pwsh.dll", "-sshs", "-NoLogo", "-NoProfile")] // SSH remoting: a client answers
    [InlineData(false, "pwsh", "-NoProfile", "-NonInteractive", "-File", "s")]
    [InlineData(false, "pwsh", "-Command", "s")]
    [InlineData(false, "-s")] // the program's own name is not an argument
    public void ServerModeIsTheStartJobProcessesArgument(bool expected, params string[] arguments) =>
        Assert.Equal(expected, Prompt.FindServerModeArgument(arguments));

    [Fact]
    public void TheEstimateScalesTheLastRunByItsWork()
    {
        var measured = new KdfParameters(64 * 1024, 3, 4);
        // Eight times the work (four times the memory, twice the passes), the same lanes: eight times as long.
        Assert.Equal(TimeSpan.FromSeconds(4), KdfEstimate.Scale(measured, TimeSpan.FromMilliseconds(500), new KdfParameters(256 * 1024, 6, 4), 2));
        Assert.Equal(TimeSpan.FromSeconds(4), KdfEstimate.Scale(measured, TimeSpan.FromMilliseconds(500), new KdfParameters(256 * 1024, 6, 4), 16));
    }

    [Fact]
    public void TheEstimateDividesTheWorkAmongTheLanesTheProcessorsRunSideBySide()
    {
        var fourLanes = new KdfParameters(64 * 1024, 3, 4);
        var oneLane = new KdfParameters(64 * 1024, 3, 1);
        // On two processors four lanes run two at a time: one lane alone takes twice as long.
        Assert.Equal(TimeSpan.FromSeconds(1), KdfEstimate.Scale(fourLanes, TimeSpan.FromMilliseconds(500), oneLane, 2));
        // On eight, all four run at once: one lane alone takes four times as long.
        Assert.Equal(TimeSpan.FromSeconds(2), KdfEstimate.Scale(fourLanes, TimeSpan.FromMilliseconds(500), oneLane, 8));
        Assert.Equal(TimeSpan.FromMilliseconds(500), KdfEstimate.Scale(fourLanes, TimeSpan.FromMilliseconds(500), oneLane, 1));
    }

    [Fact]
    public void ProgressShowsTheShareDoneAndTheSecondsLeft()
    {
        var kdf = KdfParameters.FromProfile(KdfProfile.Sensitive);
        var progress = new ProgressRecord(1, "Opening the backup", "x");
        KdfRunner.Describe(progress, kdf, TimeSpan.FromSeconds(2.5), TimeSpan.FromSeconds(10));
        Assert.Equal(25, progress.PercentComplete);
        Assert.Equal(8, progress.SecondsRemaining);
        Assert.Contains("2.5 s of about 10.0 s", progress.StatusDescription);
    }

    [Fact]
    public void ProgressPastTheEstimateStaysJustShortOfDone()
    {
        var progress = new ProgressRecord(1, "Opening the backup", "x");
        KdfRunner.Describe(progress, KdfParameters.FromProfile(KdfProfile.Moderate), TimeSpan.FromSeconds(12), TimeSpan.FromSeconds(10));
        Assert.Equal(99, progress.PercentComplete);
        Assert.Equal(0, progress.SecondsRemaining);
        Assert.Contains("12.0 s (estimated about 10.0 s)", progress.StatusDescription);
    }
}
