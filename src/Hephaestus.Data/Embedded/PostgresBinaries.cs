using System.Diagnostics;

namespace Hephaestus.Data.Embedded;

/// <summary>Finds the PostgreSQL server binaries (initdb, pg_ctl, postgres) on this machine.</summary>
public static class PostgresBinaries
{
    public const string InstallHint =
        "PostgreSQL server binaries (initdb, pg_ctl, postgres) were not found. Install them " +
        "(Debian/Ubuntu: `apt-get install -y postgresql`), or set Embedded:BinDirectory to the folder that holds them, " +
        "or set ConnectionStrings:Hephaestus to use an existing PostgreSQL.";

    /// <summary>
    /// Search order: the configured folder; PATH; `pg_config --bindir`; the newest /usr/lib/postgresql/&lt;version&gt;/bin.
    /// Debian keeps the server binaries out of PATH, hence the last two.
    /// </summary>
    public static string Find(string? configuredBinDirectory) =>
        Find(configuredBinDirectory, Environment.GetEnvironmentVariable("PATH"), usePgConfig: true, "/usr/lib/postgresql");

    /// <summary>The search with its inputs explicit, so that each step can be tested on its own.</summary>
    public static string Find(string? configuredBinDirectory, string? pathVariable, bool usePgConfig, string debianRoot)
    {
        if (!string.IsNullOrWhiteSpace(configuredBinDirectory))
        {
            return HasServerBinaries(configuredBinDirectory)
                ? configuredBinDirectory
                : throw new PostgresBinariesNotFoundException(
                    $"Embedded:BinDirectory is '{configuredBinDirectory}', but initdb, pg_ctl and postgres are not all there. {InstallHint}");
        }

        foreach (var dir in (pathVariable ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            if (HasServerBinaries(dir)) return dir;
        }

        var fromPgConfig = usePgConfig ? PgConfigBinDir() : null;
        if (fromPgConfig is not null && HasServerBinaries(fromPgConfig)) return fromPgConfig;

        if (Directory.Exists(debianRoot))
        {
            var newest = Directory.GetDirectories(debianRoot)
                .Select(d => (dir: Path.Combine(d, "bin"), version: int.TryParse(Path.GetFileName(d), out var v) ? v : -1))
                .Where(x => x.version > 0 && HasServerBinaries(x.dir))
                .OrderByDescending(x => x.version)
                .FirstOrDefault();
            if (newest.dir is not null) return newest.dir;
        }

        throw new PostgresBinariesNotFoundException(InstallHint);
    }

    /// <summary>
    /// The folder holding another program of the same installation (pg_basebackup): the server binaries' folder, or, when
    /// that holds only links to them (a PATH folder like /usr/local/bin), the folder pg_ctl's link points into.
    /// </summary>
    public static string FolderOf(string program, string binDirectory)
    {
        if (File.Exists(Path.Combine(binDirectory, program))) return binDirectory;
        var target = new FileInfo(Path.Combine(binDirectory, "pg_ctl")).ResolveLinkTarget(returnFinalTarget: true);
        var real = target is null ? null : Path.GetDirectoryName(target.FullName);
        return real is not null && File.Exists(Path.Combine(real, program))
            ? real
            : throw new PostgresBinariesNotFoundException($"{program} was not found beside pg_ctl in {binDirectory}. {InstallHint}");
    }

    /// <summary>
    /// Whether the installation has a loadable module (pg_stat_statements): its library sits in ../lib of the folder the
    /// server binary really is in (Debian's layout and PostgreSQL's default), whatever links point there.
    /// </summary>
    public static bool HasModule(string binDirectory, string module)
    {
        var server = new FileInfo(Path.Combine(binDirectory, "postgres"));
        var real = server.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? server.FullName;
        return File.Exists(Path.Combine(Path.GetDirectoryName(real)!, "..", "lib", module + ".so"));
    }

    static bool HasServerBinaries(string dir) =>
        File.Exists(Path.Combine(dir, "initdb")) && File.Exists(Path.Combine(dir, "pg_ctl")) && File.Exists(Path.Combine(dir, "postgres"));

    static string? PgConfigBinDir()
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo("pg_config", "--bindir")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            });
            if (process is null) return null;
            var output = process.StandardOutput.ReadToEnd().Trim();
            process.WaitForExit();
            return process.ExitCode == 0 && output.Length > 0 ? output : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null; // pg_config is not installed
        }
    }
}

public sealed class PostgresBinariesNotFoundException(string message) : Exception(message);
