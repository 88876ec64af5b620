using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Hephaestus.Data;
using Hephaestus.Data.Embedded;
using Hephaestus.Server.Tests.Architecture;
using Hephaestus.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Hephaestus.Server.Tests.Hosting;

/// <summary>
/// docs/operations.md's setup of a managed PostgreSQL, run as written on a throwaway cluster of its own: the block fenced
/// <c>sql managed-server</c> through psql as an administrator that is no superuser (CREATEROLE CREATEDB, like RDS's master
/// user), then the block fenced <c>bash managed-server</c> line by line (its exports, `hephaestus db migrate` as a process of
/// its own, and `hephaestus` serving requests). The guide cannot go wrong without this test failing.
/// </summary>
public sealed partial class ManagedServerSetupTests : IAsyncLifetime
{
    const string Administrator = "rehearsal_admin";
    const string AdministratorPassword = "rehearsal-admin-password";
    const string OwnerPassword = "rehearsal-owner-password";
    const string ServicePassword = "rehearsal-service-password";

    // Not Directory.CreateTempSubdirectory: its mode 0700 would keep the postgres OS user (when tests run as root) out.
    readonly string _root = Path.Combine(Path.GetTempPath(), "hephaestus-managed-" + Guid.NewGuid().ToString("N")[..10]);
    EmbeddedPostgres? _cluster;

    EmbeddedPostgres Cluster => _cluster ?? throw new InvalidOperationException("not initialised");

    public async ValueTask InitializeAsync()
    {
        _cluster = await EmbeddedPostgres.StartAsync(new EmbeddedPostgresOptions
        {
            DataDirectory = Path.Combine(_root, "pg"),
            InitialSettings = new Dictionary<string, string> { ["fsync"] = "off", ["synchronous_commit"] = "off" },
        }, NullLogger.Instance);
        await using var superuser = new NpgsqlConnection(Cluster.ConnectionString() + ";Pooling=false");
        await superuser.OpenAsync();
        // What RDS gives its master user (rds_superuser): roles and databases, but no superuser and no BYPASSRLS.
        await using var admin = new NpgsqlCommand(
            $"CREATE ROLE {Administrator} LOGIN CREATEROLE CREATEDB NOSUPERUSER PASSWORD '{AdministratorPassword}'", superuser);
        await admin.ExecuteNonQueryAsync();
    }

    [Fact]
    public async Task The_managed_server_setup_of_the_operations_guide_works_as_written_for_an_administrator_that_is_no_superuser()
    {
        var guide = await File.ReadAllTextAsync(Path.Combine(HouseTests.Root, "docs", "operations.md"));
        var (exit, output) = await PsqlAsync(Substitute(Block(guide, "sql managed-server")));
        Assert.True(exit == 0, $"the guide's SQL failed as {Administrator}:\n{output}");

        var environment = new Dictionary<string, string>();
        var ran = new List<string>();
        foreach (var line in Block(guide, "bash managed-server").Split('\n'))
        {
            var command = line.Split('#')[0].Trim();
            if (command.Length == 0) continue;
            if (ExportLine().Match(command) is { Success: true } export)
            {
                environment[export.Groups["name"].Value] = Substitute(export.Groups["value"].Value);
            }
            else if (command.StartsWith("unset ", StringComparison.Ordinal))
            {
                Assert.True(environment.Remove(command["unset ".Length..].Trim()), $"`{command}` unsets nothing exported before");
            }
            else if (command == "hephaestus")
            {
                await ServeAsync(environment);
            }
            else if (command.StartsWith("hephaestus ", StringComparison.Ordinal))
            {
                var verb = await HephaestusProcess.RunAsync(environment, _root, TimeSpan.FromMinutes(2), command.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..]);
                Assert.True(verb.ExitCode == 0, $"`{command}` ended with {verb.ExitCode}:\n{verb.Output}");
            }
            else
            {
                Assert.Fail($"the test does not know how to run `{command}` from the guide");
            }

            ran.Add(command);
        }

        Assert.Contains("hephaestus db migrate", ran);
        Assert.Contains("hephaestus", ran);
        Assert.False(Directory.Exists(Path.Combine(_root, ".hephaestus")), "a verb started an embedded database instead of using the managed server");
    }

    /// <summary>The service on what the guide exported: ready, and serving a read and a write as a user.</summary>
    async Task ServeAsync(Dictionary<string, string> environment)
    {
        await using var service = new ManagedService(environment);
        await using var owner = HephaestusDatabase.CreateDataSource(Cluster.ConnectionString(EmbeddedProvisioner.DatabaseName, EmbeddedProvisioner.OwnerRole, OwnerPassword), DatabaseLimits.Maintenance);
        var email = "author@rehearsal.test";
        await TestDatabase.CreateUserAsync(owner, email, "author");
        var client = service.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", ApiFactory.Token("test|" + email));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/ready")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/users/me")).StatusCode);
        var created = await client.PostAsJsonAsync("/api/v1/frameworks", new { code = "rehearsal", title = "Rehearsal" });
        Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
    }

    sealed class ManagedService(Dictionary<string, string> environment) : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            foreach (var (name, value) in environment) builder.UseSetting(name.Replace("__", ":", StringComparison.Ordinal), value);
            builder.UseSetting("Auth:SigningKey", TestDatabase.SigningKeyBase64);
            builder.UseSetting("Logging:LogLevel:Default", "Warning");
            builder.UseEnvironment("Testing");
        }
    }

    /// <summary>The text of the one code block fenced with this info string.</summary>
    static string Block(string markdown, string info)
    {
        var blocks = Regex.Matches(markdown, $"^```{Regex.Escape(info)}\\n(?<body>.*?)^```$", RegexOptions.Multiline | RegexOptions.Singleline);
        Assert.True(blocks.Count == 1, $"docs/operations.md should have one block fenced ```{info}, has {blocks.Count}");
        return blocks[0].Groups["body"].Value;
    }

    /// <summary>
    /// The guide's placeholders, filled for the throwaway cluster; it has no certificate, so TLS is off here.
    /// </summary>
    string Substitute(string text) =>
        text
            .Replace("<server>", $"127.0.0.1;Port={Cluster.Port}", StringComparison.Ordinal)
            .Replace("<owner password>", OwnerPassword, StringComparison.Ordinal)
            .Replace("<service password>", ServicePassword, StringComparison.Ordinal)
            .Replace("SSL Mode=Require", "SSL Mode=Disable", StringComparison.Ordinal);

    /// <summary>psql, as a DBA would run the block: statement by statement, stopping at the first error.</summary>
    async Task<(int ExitCode, string Output)> PsqlAsync(string sql)
    {
        var file = Path.Combine(_root, "managed-server.sql");
        await File.WriteAllTextAsync(file, sql);
        var start = new ProcessStartInfo(Psql())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment = { ["PGPASSWORD"] = AdministratorPassword },
        };
        foreach (var arg in new[] { "-X", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", Cluster.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-U", Administrator, "-d", "postgres", "-f", file })
        {
            start.ArgumentList.Add(arg);
        }

        using var psql = Process.Start(start)!;
        var output = psql.StandardOutput.ReadToEndAsync();
        var error = psql.StandardError.ReadToEndAsync();
        await psql.WaitForExitAsync();
        return (psql.ExitCode, await output + await error);
    }

    /// <summary>psql beside the server binaries, or beside what their links point to (PATH may hold links to the server only), or on PATH.</summary>
    string Psql()
    {
        var postgres = new FileInfo(Path.Combine(Cluster.BinDirectory, "postgres"));
        var linked = postgres.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? postgres.FullName;
        return new[] { Path.Combine(Cluster.BinDirectory, "psql"), Path.Combine(Path.GetDirectoryName(linked)!, "psql") }.FirstOrDefault(File.Exists) ?? "psql";
    }

    [GeneratedRegex("""^export (?<name>[A-Za-z_][A-Za-z0-9_]*)="(?<value>[^"]*)"$""")]
    private static partial Regex ExportLine();

    public async ValueTask DisposeAsync()
    {
        if (_cluster is not null) await _cluster.StopAsync();
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }
}
