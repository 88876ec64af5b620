using System.Diagnostics;
using System.Text.Json;
using Hephaestus.Testing;

namespace Hephaestus.Server.Tests.OpenApi;

/// <summary>
/// Spectral (the repository's <c>.spectral.yaml</c>: spectral:oas) finds no error in the served document. The linter is
/// <c>HEPHAESTUS_SPECTRAL</c> (set by .ci/run, which installs it) or <c>spectral</c> on PATH; without either this fails,
/// saying how to install it, rather than passing unlinted.
/// </summary>
public class OpenApiLintTests(ApiDatabase db) : IClassFixture<ApiDatabase>
{
    [Fact]
    public async Task Spectral_reports_no_errors_in_the_served_document()
    {
        var spectral = Environment.GetEnvironmentVariable("HEPHAESTUS_SPECTRAL") is { Length: > 0 } configured ? configured : "spectral";
        var document = Path.Combine(Path.GetTempPath(), $"hephaestus-openapi-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(document, await db.Api.CreateClient().GetStringAsync("/openapi/v1.json"));
        try
        {
            var ruleset = Path.Combine(Path.GetDirectoryName(GeneratedClientTests.SourceDirectory())!, "..", ".spectral.yaml");
            var start = new ProcessStartInfo(spectral, ["lint", document, "--ruleset", Path.GetFullPath(ruleset), "--format", "json", "--fail-severity", "error", "--quiet"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            Process process;
            try
            {
                process = Process.Start(start)!;
            }
            catch (System.ComponentModel.Win32Exception e)
            {
                Assert.Fail($"Spectral is not installed ({e.Message}): run .ci/run, or `npm install -g @stoplight/spectral-cli@6.16.3`, or set HEPHAESTUS_SPECTRAL.");
                return;
            }

            using (process)
            {
                var output = await process.StandardOutput.ReadToEndAsync();
                var errors = await process.StandardError.ReadToEndAsync();
                await process.WaitForExitAsync();
                var findings = output.TrimStart().StartsWith('[') ? JsonDocument.Parse(output).RootElement.EnumerateArray().ToList() : [];
                // Spectral's severities: 0 error, 1 warning, 2 information, 3 hint.
                var failures = findings.Where(f => f.GetProperty("severity").GetInt32() == 0)
                    .Select(f => $"{f.GetProperty("code")}: {f.GetProperty("message")} at {string.Join('.', f.GetProperty("path").EnumerateArray())}").ToList();
                Assert.True(failures.Count == 0, string.Join("\n", failures));
                Assert.True(process.ExitCode == 0, $"spectral exited {process.ExitCode}: {errors}{output}");
            }
        }
        finally
        {
            File.Delete(document);
        }
    }
}
