using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Hephaestus.Testing;

namespace Hephaestus.Server.Tests.Api;

public partial class ServerTimingTests(ApiDatabase db) : IClassFixture<ApiDatabase>
{
    [GeneratedRegex("""^auth;dur=(?<auth>[0-9.]+), db;dur=(?<db>[0-9.]+);desc="(?<commands>[0-9]+) commands", app;dur=(?<app>[0-9.]+), total;dur=(?<total>[0-9.]+)$""")]
    private static partial Regex Timing();

    static (double Auth, double Db, int Commands, double App, double Total) Parse(HttpResponseMessage response)
    {
        var header = response.Headers.GetValues("Server-Timing").Single();
        var m = Timing().Match(header);
        Assert.True(m.Success, header);
        double D(string name) => double.Parse(m.Groups[name].Value, CultureInfo.InvariantCulture);
        return (D("auth"), D("db"), int.Parse(m.Groups["commands"].Value, CultureInfo.InvariantCulture), D("app"), D("total"));
    }

    [Fact]
    public async Task Off_by_default()
    {
        var (_, learner) = await db.UserAsync("timing-off@example.org", "learner");
        var response = await learner.GetAsync("/api/v1/users/me");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(response.Headers.Contains("Server-Timing"));
    }

    [Fact]
    public async Task When_enabled_each_response_says_where_its_time_went_counting_only_its_own_commands()
    {
        await db.CreateUserAsync("timing-on@example.org", ["learner"]);
        using var timed = db.Api.WithWebHostBuilder(b => b.UseSetting("Diagnostics:ServerTiming", "true"));

        // A read: the actor lookup is authentication's; the profile read after it is the request's database time.
        var client = timed.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", ApiFactory.Token("test|timing-on@example.org"));
        var profile = await client.GetAsync("/api/v1/users/me");
        Assert.Equal(HttpStatusCode.OK, profile.StatusCode);
        var read = Parse(profile);
        Assert.True(read.Auth > 0, $"auth {read.Auth}");
        Assert.True(read.Commands >= 1, $"{read.Commands} commands");
        Assert.True(read.Db > 0, $"db {read.Db}");
        Assert.True(read.Total >= read.Auth && read.Total + 0.01 >= read.Auth + read.Db + read.App, $"{read}");

        // Refused before any work: no token, no lookup, no command, though other requests run on the same process.
        var refused = await timed.CreateClient().GetAsync("/api/v1/users/me");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        var nothing = Parse(refused);
        Assert.Equal(0, nothing.Commands);
        Assert.Equal(0, nothing.Db);
    }
}
