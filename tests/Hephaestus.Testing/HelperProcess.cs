using System.Diagnostics;

namespace Hephaestus.Testing;

/// <summary>What the fixtures that run a helper server (s3rver, pgbouncer) share.</summary>
internal static class HelperProcess
{
    /// <summary>
    /// Kills the helper and its children and removes its working folder; a failure to clean up is reported, not thrown,
    /// since it runs at the end of a test run and at process exit.
    /// </summary>
    public static void StopQuietly(Process process, string directory, string name)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(10_000);
            }

            if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            Console.Error.WriteLine($"Could not clean up {name} in {directory}: {e.Message}");
        }
    }
}
