using System.Net.Sockets;
using Hephaestus.Server.Cli;
using Hephaestus.Server.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Hephaestus.Server.Tests.Cli;

/// <summary>The command line: which words serve, which run a verb, and how failures end (a message and an exit code).</summary>
public class HephaestusCliTests
{
    public static TheoryData<string[], Invocation> Arguments() => new()
    {
        { [], Invocation.Serve },
        { ["serve"], Invocation.Serve },
        { ["serve", "--Urls=http://127.0.0.1:5099"], Invocation.Serve },
        { ["--Urls=http://127.0.0.1:5099"], Invocation.Serve },
        { ["--Embedded:Port", "0"], Invocation.Serve },
        { ["db", "status"], Invocation.Verb },
        { ["token", "--user", "a@example.org"], Invocation.Verb },
        { ["--help"], Invocation.Verb },
        { ["content", "verify"], Invocation.Verb },
        { ["events", "maintain"], Invocation.Verb },
        { ["statements", "import"], Invocation.UnknownVerb },
        { ["Serve"], Invocation.UnknownVerb },
    };

    [Theory]
    [MemberData(nameof(Arguments))]
    public void Arguments_are_classified(string[] args, Invocation expected) => Assert.Equal(expected, HephaestusCli.Classify(args));

    [Fact]
    public void An_unknown_verb_is_exit_code_2_with_the_list_of_verbs()
    {
        var error = new StringWriter();
        Assert.Equal(2, HephaestusCli.UnknownVerb(["statements", "import"], error));
        var text = error.ToString();
        Assert.Contains("'statements' is not a verb", text, StringComparison.Ordinal);
        foreach (var verb in new[] { "serve", "db", "token", "seed", "mastery", "paths", "content", "events" }) Assert.Contains(verb, text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_sub_verb_ends_with_a_non_zero_exit_code()
    {
        Assert.NotEqual(0, await HephaestusCli.RunAsync(["mastery", "verify"]));
    }

    [Fact]
    public void A_failure_is_one_paragraph_and_exit_code_1()
    {
        var error = new StringWriter();
        var unreachable = new NpgsqlException("Failed to connect to 127.0.0.1:1", new SocketException((int)SocketError.ConnectionRefused));
        Assert.Equal(1, HephaestusCli.Fail(unreachable, error));
        var text = error.ToString().TrimEnd();
        Assert.DoesNotContain('\n', text);
        Assert.StartsWith("hephaestus: Failed to connect to 127.0.0.1:1", text, StringComparison.Ordinal);
        Assert.Contains("ConnectionStrings__Hephaestus", text, StringComparison.Ordinal);
        Assert.DoesNotContain(" at ", text, StringComparison.Ordinal);

        var behind = new StringWriter();
        Assert.Equal(1, HephaestusCli.Fail(new InvalidOperationException("The database schema is behind: 1 pending migration(s)."), behind));
        Assert.Equal("hephaestus: The database schema is behind: 1 pending migration(s).", behind.ToString().TrimEnd());
    }

    [Fact]
    public async Task The_owner_connection_string_alone_is_refused_instead_of_starting_the_embedded_database()
    {
        var dataDirectory = Path.Combine(Path.GetTempPath(), "hephaestus-never-" + Guid.NewGuid().ToString("N")[..10]);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:HephaestusOwner"] = "Host=db.example.org;Database=hephaestus;Username=hephaestus_owner",
            ["Embedded:DataDirectory"] = dataDirectory,
        }).Build();
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => DatabaseEndpoint.OpenAsync(configuration, NullLogger.Instance, default));
        Assert.Contains("ConnectionStrings__Hephaestus (the service's login)", refused.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(dataDirectory));
        Assert.Equal(1, HephaestusCli.Fail(refused, TextWriter.Null));
    }

    [Fact]
    public void Cancelling_is_exit_code_130() => Assert.Equal(130, HephaestusCli.Fail(new OperationCanceledException(), TextWriter.Null));
}
