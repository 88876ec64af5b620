using System.Net;
using Hephaestus.Server.Hosting;
using Hephaestus.Testing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Hephaestus.Server.Tests.Hosting;

/// <summary>The embedded default records statement statistics (pg_stat_statements), readable by the schema owner.</summary>
public sealed class StatementStatisticsTests : IDisposable
{
    readonly string _root = Path.Combine(Path.GetTempPath(), "hephaestus-statements-" + Guid.NewGuid().ToString("N")[..10]);

    [Fact]
    public async Task The_service_statements_are_counted_and_the_owner_reads_them()
    {
        await using var service = new EmbeddedService(Path.Combine(_root, "pg"));
        var endpoint = service.Services.GetRequiredService<DatabaseEndpoint>();
        var email = $"statements-{Guid.NewGuid():N}@example.org";
        await using var owner = new NpgsqlConnection(endpoint.OwnerConnectionString);
        await owner.OpenAsync();
        await using (var insert = new NpgsqlCommand(
            "INSERT INTO hephaestus.users (id, external_subject, email, display_name, roles) VALUES ($1, $2, $3, 'S', '{learner}')", owner)
        {
            Parameters = { new() { Value = Guid.CreateVersion7() }, new() { Value = "test|" + email }, new() { Value = email } },
        })
        {
            await insert.ExecuteNonQueryAsync();
        }

        var client = service.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", ApiFactory.Token("test|" + email));
        for (var i = 0; i < 3; i++) Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/users/me")).StatusCode);

        // The application login ran the statements; the owner sees their text and counts (pg_read_all_stats).
        await using var read = new NpgsqlCommand("""
            SELECT coalesce(sum(s.calls), 0) FROM public.pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid
            WHERE r.rolname = 'hephaestus' AND s.query LIKE '%FROM hephaestus.users%'
            """, owner);
        var calls = (long)(decimal)(await read.ExecuteScalarAsync())!;
        Assert.True(calls >= 3, $"{calls} calls of statements reading hephaestus.users by the application login");
    }

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }
}
