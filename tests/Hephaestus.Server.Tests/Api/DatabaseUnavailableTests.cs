using System.Net;
using System.Net.Sockets;
using Hephaestus.Data;
using Hephaestus.Testing;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Hephaestus.Server.Tests.Api;

/// <summary>
/// A database that is away or saturated is the server's 503 with Retry-After, never a 500, and never a 401 when it
/// happens while the token's subject is resolved to a user.
/// </summary>
public sealed class DatabaseUnavailableTests(ApiDatabase db) : IClassFixture<ApiDatabase>
{
    /// <summary>The service with its one data source replaced (the schema check at start still uses the real owner).</summary>
    WebApplicationFactory<Program> ServiceOn(NpgsqlDataSource dataSource) =>
        db.Api.WithWebHostBuilder(b => b.ConfigureTestServices(s => s.AddSingleton(dataSource)));

    static async Task AssertUnavailableAsync(HttpResponseMessage response)
    {
        var problem = await Json.ProblemAsync(response, 503);
        Assert.Equal("Database unavailable", problem.GetProperty("title").GetString());
        Assert.Equal("5", response.Headers.RetryAfter?.Delta?.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port; // closed again when disposed
    }

    [Fact]
    public async Task An_authenticated_request_while_the_database_refuses_connections_is_503_with_retry_after()
    {
        var refused = new NpgsqlConnectionStringBuilder(db.AppConnectionString) { Port = ClosedPort(), Timeout = 3 }.ConnectionString;
        await using var dataSource = HephaestusDatabase.CreateDataSource(refused, DatabaseLimits.Interactive);
        await using var service = ServiceOn(dataSource);
        var client = service.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", ApiFactory.Token("test|nobody-" + Guid.NewGuid().ToString("N")));

        // The actor lookup inside token validation is the first thing to reach the database.
        await AssertUnavailableAsync(await client.GetAsync("/api/v1/users/me"));

        var ready = await client.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.NotNull(ready.Headers.RetryAfter);
    }

    [Fact]
    public async Task An_exhausted_pool_is_503_with_retry_after_and_serves_again_once_a_connection_is_free()
    {
        var email = $"pool-{Guid.NewGuid():N}@example.org";
        await db.CreateUserAsync(email, "admin");
        var small = new NpgsqlConnectionStringBuilder(db.AppConnectionString) { MaxPoolSize = 1, Timeout = 1 }.ConnectionString;
        await using var dataSource = HephaestusDatabase.CreateDataSource(small, DatabaseLimits.Interactive);
        await using var service = ServiceOn(dataSource);
        var client = service.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", ApiFactory.Token("test|" + email));

        await using (var held = await dataSource.OpenConnectionAsync())
        await using (await held.BeginTransactionAsync())
        {
            await AssertUnavailableAsync(await client.GetAsync("/api/v1/users/me"));
        }

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/users/me")).StatusCode);
    }

    [Fact]
    public async Task A_connection_terminated_by_the_server_is_503_and_the_next_request_is_served()
    {
        var email = $"shutdown-{Guid.NewGuid():N}@example.org";
        await db.CreateUserAsync(email, "admin");
        var client = db.Api.ClientFor("test|" + email);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/users/me")).StatusCode); // the actor is cached now

        // The server ends the service's pooled connection (SQLSTATE 57P01 on its next use): an operator's
        // pg_terminate_backend, or a shutdown in progress.
        await using (var superuser = new NpgsqlConnection(db.Cluster.SuperuserConnectionString))
        {
            await superuser.OpenAsync();
            await using var terminate = new NpgsqlCommand(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = $1 AND usename = $2", superuser)
            {
                Parameters = { new() { Value = db.Name }, new() { Value = Hephaestus.Data.Embedded.EmbeddedProvisioner.AppLogin } },
            };
            Assert.NotEqual(0L, await terminate.ExecuteScalarAsync());
        }

        await AssertUnavailableAsync(await client.GetAsync("/api/v1/users/me"));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/users/me")).StatusCode);
    }

    [Fact]
    public async Task A_database_that_only_reads_is_not_ready()
    {
        await SuperuserAsync($"ALTER DATABASE \"{db.Name}\" SET default_transaction_read_only = on");
        try
        {
            // Fresh connections see the new default (the service's pooled ones still have the old one).
            await using var dataSource = HephaestusDatabase.CreateDataSource(db.AppConnectionString, DatabaseLimits.Interactive);
            await using var service = ServiceOn(dataSource);
            var ready = await service.CreateClient().GetAsync("/health/ready");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            Assert.Equal("read-only", (await Json.ReadAsync(ready)).GetProperty("database").GetString());
        }
        finally
        {
            await SuperuserAsync($"ALTER DATABASE \"{db.Name}\" RESET default_transaction_read_only");
        }

        Assert.Equal(HttpStatusCode.OK, (await db.Api.CreateClient().GetAsync("/health/ready")).StatusCode);
    }

    async Task SuperuserAsync(string sql)
    {
        await using var superuser = new NpgsqlConnection(db.Cluster.SuperuserConnectionString);
        await superuser.OpenAsync();
        await using var command = new NpgsqlCommand(sql, superuser);
        await command.ExecuteNonQueryAsync();
    }
}
