using Hephaestus.Server.Hosting;

namespace Hephaestus.Server.Tests.Hosting;

public class LaunchCommandTests
{
    static readonly string Clone = Path.Combine(Path.GetTempPath(), "clone");
    static readonly string Build = Path.Combine(Clone, "src", "Hephaestus.Server", "bin", "Debug", "net10.0") + Path.DirectorySeparatorChar;
    static readonly string Published = Path.Combine(Path.GetTempPath(), "opt", "hephaestus") + Path.DirectorySeparatorChar;

    static bool ProjectInClone(string path) => path == Path.Combine(Clone, "src", "Hephaestus.Server", "Hephaestus.Server.csproj");

    [Fact]
    public void Dotnet_run_from_the_clone_names_the_project()
    {
        var command = LaunchCommand.For(Build, Path.Combine(Build, "hephaestus"), Clone, ProjectInClone);
        Assert.Equal($"dotnet run --project {Path.Combine("src", "Hephaestus.Server")} --", command);
    }

    [Fact]
    public void Dotnet_run_from_elsewhere_names_the_project_by_its_full_path()
    {
        var elsewhere = Path.Combine(Path.GetTempPath(), "elsewhere");
        var command = LaunchCommand.For(Build, Path.Combine(Build, "hephaestus"), elsewhere, ProjectInClone);
        Assert.Equal($"dotnet run --project {Path.Combine(Clone, "src", "Hephaestus.Server")} --", command);
    }

    [Fact]
    public void A_published_build_run_by_the_dotnet_host_names_its_dll()
    {
        var command = LaunchCommand.For(Published, "/usr/bin/dotnet", Published, _ => false);
        Assert.Equal("dotnet ./hephaestus.dll", command);
    }

    [Fact]
    public void A_published_executable_started_from_another_directory_names_its_full_path()
    {
        var executable = Path.Combine(Published, "hephaestus");
        Assert.Equal(executable, LaunchCommand.For(Published, executable, Path.GetTempPath() + "elsewhere", _ => false));
        Assert.Equal(Path.Combine("hephaestus", "hephaestus"),
            LaunchCommand.For(Published, executable, Path.Combine(Path.GetTempPath(), "opt"), _ => false));
    }
}
