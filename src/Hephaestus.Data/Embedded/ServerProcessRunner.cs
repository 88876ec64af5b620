using System.Diagnostics;

namespace Hephaestus.Data.Embedded;

/// <summary>
/// Runs a PostgreSQL server binary, as the given OS user through runuser when this process is root
/// (the server refuses to run as root).
/// </summary>
internal sealed class ServerProcessRunner(string binDirectory, string? runAsUser)
{
    public sealed record Result(int ExitCode, string Output);

    /// <summary>The folder the server binaries were found in (links to them, possibly).</summary>
    public string BinDirectory => binDirectory;

    /// <param name="environment">Extra variables for the program (pg_basebackup's PGPASSWORD: a password on the command line
    /// would be visible to every user in the process list). runuser passes them on: it resets only HOME, SHELL, USER and LOGNAME.</param>
    public async Task<Result> RunAsync(string binary, IReadOnlyList<string> arguments, CancellationToken ct,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (runAsUser is null)
        {
            start.FileName = Path.Combine(binDirectory, binary);
        }
        else
        {
            start.FileName = "runuser";
            start.ArgumentList.Add("-u");
            start.ArgumentList.Add(runAsUser);
            start.ArgumentList.Add("--");
            start.ArgumentList.Add(Path.Combine(binDirectory, binary));
        }

        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        // The server inherits our environment; a C locale keeps initdb messages predictable.
        start.Environment["LC_MESSAGES"] = "C";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) start.Environment[name] = value;

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {binary}");
        // pg_ctl start leaves the postmaster holding our pipes only if it inherited them; -l redirects the server's output,
        // so reading to end here returns when pg_ctl itself exits.
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        return new Result(process.ExitCode, ((await stdout) + (await stderr)).Trim());
    }

    /// <summary>Gives a file or directory to the server's OS user (only when running as root).</summary>
    public void HandOver(string path)
    {
        if (runAsUser is null || OperatingSystem.IsWindows()) return;
        Chown(path);
        if (Directory.Exists(path)) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        EnsureTraversable(path);
    }

    /// <summary>Gives a file inside the server's own data directory to its OS user, which reaches that directory already.</summary>
    public void HandOverInDataDirectory(string path)
    {
        if (runAsUser is null || OperatingSystem.IsWindows()) return;
        Chown(path);
    }

    void Chown(string path)
    {
        using var chown = Process.Start(new ProcessStartInfo("chown", ["-R", $"{runAsUser}:{runAsUser}", path]) { UseShellExecute = false })!;
        chown.WaitForExit();
        if (chown.ExitCode != 0) throw new InvalidOperationException($"chown {runAsUser} {path} failed");
    }

    void EnsureTraversable(string path)
    {
        if (OperatingSystem.IsWindows()) return;
        // The server's user must be able to reach the data directory through every parent folder.
        for (var dir = Path.GetDirectoryName(Path.GetFullPath(path)); !string.IsNullOrEmpty(dir); dir = Path.GetDirectoryName(dir))
        {
            var mode = File.GetUnixFileMode(dir);
            if (!mode.HasFlag(UnixFileMode.OtherExecute))
            {
                throw new InvalidOperationException(
                    $"The PostgreSQL server runs as OS user '{runAsUser}' (this process is root) and cannot reach {path}: " +
                    $"{dir} is not searchable by other users. Set Embedded:DataDirectory to a folder under a searchable path (e.g. /var/lib/hephaestus).");
            }
        }
    }
}
