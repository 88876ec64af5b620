using System.Diagnostics;
using System.Globalization;
using Hephaestus.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Hephaestus.Server.Tests.Hosting;

/// <summary>
/// The service on its own embedded cluster in <paramref name="dataDirectory"/> (never the shared test cluster), started by
/// the launcher the service uses and supervised as in production, with short backoff and liveness bounds.
/// </summary>
internal sealed class EmbeddedService(string dataDirectory) : WebApplicationFactory<Program>
{
    public string PidFile => Path.Combine(dataDirectory, "postmaster.pid");

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("Embedded:DataDirectory", dataDirectory);
        builder.UseSetting("Embedded:LivenessFailsAfterSeconds", "3");
        builder.UseSetting("Embedded:RestartMaxBackoffSeconds", "1");
        builder.UseSetting("Auth:SigningKey", TestDatabase.SigningKeyBase64);
        builder.UseSetting("Logging:LogLevel:Default", "Critical");
        builder.UseEnvironment("Testing");
    }

    /// <summary>SIGKILL to the postmaster; returns it.</summary>
    public Process KillPostmaster()
    {
        var postmaster = Process.GetProcessById(int.Parse(File.ReadAllLines(PidFile)[0], CultureInfo.InvariantCulture));
        // SIGKILL, and no waiting for its exit: nobody reaps the postmaster (pg_ctl started it and left), so it may stay a
        // zombie, which Process.WaitForExit counts as running.
        postmaster.Kill();
        return postmaster;
    }
}
