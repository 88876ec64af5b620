namespace Hephaestus.Server.Hosting;

/// <summary>
/// How this process was started, so that what the service prints (the banner, the CLI's hints) is a command the person
/// can paste: `dotnet run --project …` from a clone, `dotnet …/hephaestus.dll` or the published executable.
/// </summary>
public static class LaunchCommand
{
    const string ProjectFile = "Hephaestus.Server.csproj";

    /// <summary>The executable's name (the project's AssemblyName): hephaestus, hephaestus.dll.</summary>
    static readonly string Executable = typeof(LaunchCommand).Assembly.GetName().Name!;

    /// <summary>The command line that runs a verb of this very build, seen from the current directory.</summary>
    public static string Current() =>
        For(AppContext.BaseDirectory, Environment.ProcessPath, Environment.CurrentDirectory, File.Exists);

    /// <summary>
    /// The build output of a project is &lt;project&gt;/bin/&lt;configuration&gt;/&lt;framework&gt;/: when the project file is three
    /// levels up, this is `dotnet run`'s build and the project is what to name. Otherwise it is a published build, run by
    /// the `dotnet` host (ProcessPath is dotnet itself) or by its own executable.
    /// </summary>
    public static string For(string baseDirectory, string? processPath, string currentDirectory, Func<string, bool> fileExists)
    {
        var output = Path.TrimEndingDirectorySeparator(baseDirectory);
        var project = Path.GetDirectoryName(Path.GetDirectoryName(Path.GetDirectoryName(output)));
        if (project is not null && fileExists(Path.Combine(project, ProjectFile)))
            return $"dotnet run --project {Relative(currentDirectory, project)} --";

        var host = Path.GetFileNameWithoutExtension(processPath ?? "");
        return string.Equals(host, "dotnet", StringComparison.Ordinal)
            ? $"dotnet {Relative(currentDirectory, Path.Combine(output, Executable + ".dll"))}"
            : Relative(currentDirectory, processPath ?? Path.Combine(output, Executable));
    }

    /// <summary>A relative path when it is shorter to read (inside the current directory), else the absolute one.</summary>
    static string Relative(string currentDirectory, string path)
    {
        var relative = Path.GetRelativePath(currentDirectory, path);
        if (relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative)) return path;
        // A bare file name would be looked up on PATH by the shell: say ./ for a file in the current directory.
        return relative.Contains(Path.DirectorySeparatorChar, StringComparison.Ordinal) || relative == "." ? relative : "./" + relative;
    }
}
