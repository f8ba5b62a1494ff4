using System;
using System.IO;

namespace SsoSecret.Tests;

/// <summary>Finds files of the repository and of the test output, wherever the tests run from.</summary>
internal static class TestPaths
{
    internal static string RepositoryRoot
    {
        get
        {
            var folder = new DirectoryInfo(AppContext.BaseDirectory);
            while (folder is not null && !File.Exists(Path.Combine(folder.FullName, "SsoSecret.sln")))
            {
                folder = folder.Parent;
            }

            return folder?.FullName ?? throw new InvalidOperationException("The repository root (SsoSecret.sln) was not found above " + AppContext.BaseDirectory);
        }
    }

    internal static string Golden(string name) => Path.Combine(AppContext.BaseDirectory, "TestData", "golden", name);

    /// <summary>A new empty folder under the system's temporary folder.</summary>
    internal static string NewTemporaryFolder()
    {
        string path = Path.Combine(Path.GetTempPath(), "ssosecret-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        return path;
    }
}
