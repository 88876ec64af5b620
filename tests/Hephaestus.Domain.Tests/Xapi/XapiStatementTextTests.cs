using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hephaestus.Domain.Xapi;

namespace Hephaestus.Domain.Tests.Xapi;

public class XapiStatementTextTests
{
    static readonly XapiAdditions Additions = new(Guid.Parse("0193d1a0-0000-7000-8000-000000000001"), "2026-12-02T03:00:00.000000Z",
        """{"objectType":"Agent","account":{"homePage":"https://lrs.example.com","name":"provider"}}""");

    [Fact]
    public void The_clients_bytes_stay_and_the_lrs_properties_are_added_after_the_brace()
    {
        const string client = "{ \"actor\" : {\"mbox\":\"mailto:a@b.c\"},\n\t\"verb\":{\"id\":\"http://example.com/v\",\"display\":{\"fr\":\"\\u00e9t\\u00e9\"}},  \"object\":{\"id\":\"http://example.com/a\"} }";
        var stored = XapiStatementText.Complete(client, Additions);
        Assert.Equal("{\"id\":\"0193d1a0-0000-7000-8000-000000000001\",\"stored\":\"2026-12-02T03:00:00.000000Z\",\"authority\":" + Additions.AuthorityJson
            + ",\"version\":\"2.0.0\",\"timestamp\":\"2026-12-02T03:00:00.000000Z\"," + client[1..], stored);
    }

    [Fact]
    public void Stored_and_authority_sent_by_the_client_are_replaced_where_they_stand_and_its_id_version_and_timestamp_kept()
    {
        const string client = """{"id":"fd41c918-b88b-4b20-a0a5-a4c32391aaa0","stored":"1999-01-01T00:00:00Z","actor":{"mbox":"mailto:a@b.c"},"authority":{"mbox":"mailto:me@b.c"},"version":"1.0.3","timestamp":"2020-01-01T00:00:00+01:00","verb":{"id":"http://example.com/v"},"object":{"id":"http://example.com/a"}}""";
        var stored = XapiStatementText.Complete(client, Additions);
        Assert.Equal(client.Replace("\"1999-01-01T00:00:00Z\"", "\"2026-12-02T03:00:00.000000Z\"", StringComparison.Ordinal)
            .Replace("{\"mbox\":\"mailto:me@b.c\"}", Additions.AuthorityJson, StringComparison.Ordinal), stored);
    }

    [Fact]
    public void A_single_context_activity_is_wrapped_in_an_array_where_it_stands_also_in_a_substatement()
    {
        const string client = """{"actor":{"mbox":"mailto:a@b.c"},"verb":{"id":"http://example.com/v"},"object":{"objectType":"SubStatement","actor":{"mbox":"mailto:a@b.c"},"verb":{"id":"http://example.com/v"},"object":{"id":"http://example.com/a"},"context":{"contextActivities":{"other": {"id":"http://example.com/o"}}}},"context":{"contextActivities":{"parent" : {"id":"http://example.com/p"},"grouping":[{"id":"http://example.com/g"}]}}}""";
        var stored = XapiStatementText.Complete(client, Additions);
        Assert.Contains("\"parent\" : [{\"id\":\"http://example.com/p\"}]", stored, StringComparison.Ordinal);
        Assert.Contains("\"other\": [{\"id\":\"http://example.com/o\"}]", stored, StringComparison.Ordinal);
        Assert.Contains("\"grouping\":[{\"id\":\"http://example.com/g\"}]", stored, StringComparison.Ordinal);
        using var parsed = JsonDocument.Parse(stored);
        Assert.Equal(JsonValueKind.Array, parsed.RootElement.GetProperty("context").GetProperty("contextActivities").GetProperty("parent").ValueKind);
    }

    [Fact]
    public void Ids_keep_only_identifiers()
    {
        const string stored = """{"actor":{"objectType":"Agent","name":"Ann","mbox":"mailto:a@b.c"},"verb":{"id":"http://example.com/v","display":{"en":"v"}},"object":{"id":"http://example.com/a","definition":{"name":{"en":"A"}}},"context":{"team":{"objectType":"Group","name":"T","member":[{"name":"B","mbox":"mailto:b@b.c"}]}}}""";
        var ids = JsonNode.Parse(XapiStatementText.Ids(stored))!;
        Assert.Null(ids["actor"]!["name"]);
        Assert.Equal("mailto:a@b.c", ids["actor"]!["mbox"]!.GetValue<string>());
        Assert.Null(ids["verb"]!["display"]);
        Assert.Null(ids["object"]!["definition"]);
        Assert.Null(ids["context"]!["team"]!["member"]![0]!["name"]);
    }

    [Theory]
    [InlineData("de-DE", "de")]
    [InlineData("en-GB", "en-US")]
    [InlineData("fr", "en-US")]
    public void Canonical_keeps_the_best_language_of_each_map(string preferred, string expectedKey)
    {
        const string stored = """{"actor":{"mbox":"mailto:a@b.c","name":"Ann"},"verb":{"id":"http://example.com/v","display":{"en-US":"v","de":"w"}},"object":{"id":"http://example.com/a","definition":{"name":{"en-US":"A","de":"B"}}}}""";
        var canonical = JsonNode.Parse(XapiStatementText.Canonical(stored, [preferred]))!;
        Assert.Equal([expectedKey], canonical["verb"]!["display"]!.AsObject().Select(e => e.Key));
        Assert.Equal([expectedKey], canonical["object"]!["definition"]!["name"]!.AsObject().Select(e => e.Key));
        Assert.Equal("Ann", canonical["actor"]!["name"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("PT1M30.5S", 90_500)]
    [InlineData("P1DT1H", 90_000_000)]
    [InlineData("P2W", 1_209_600_000)]
    [InlineData("PT0S", 0)]
    public void Durations_convert_to_milliseconds(string duration, long expected)
    {
        Assert.True(XapiFormats.IsDuration(duration));
        Assert.Equal(expected, XapiFormats.DurationMilliseconds(duration));
    }

    [Theory]
    [InlineData("2026-12-01T10:00:00Z", "2026-12-01T10:00:00.0000000+00:00")]
    [InlineData("2026-12-01T10:00:00.123456789+0130", "2026-12-01T10:00:00.1234567+01:30")]
    [InlineData("2026-12-01T10:00+02", "2026-12-01T10:00:00.0000000+02:00")]
    public void Timestamps_with_offsets_parse(string text, string expected)
    {
        Assert.True(XapiFormats.TryParseTimestamp(text, out var parsed));
        Assert.Equal(expected, parsed.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData("en", true)]
    [InlineData("zh-Hant-TW", true)]
    [InlineData("sgn-BE-FR", true)]
    [InlineData("x-private", true)]
    [InlineData("en-US-x-twain", true)]
    [InlineData("e", false)]
    [InlineData("englishxx", false)]
    [InlineData("en_US", false)]
    [InlineData("", false)]
    public void Language_tags_follow_rfc_5646(string tag, bool valid) => Assert.Equal(valid, XapiFormats.IsLanguageTag(tag));

    [Fact]
    public void Facts_key_agents_by_identifier_and_collect_related_activities()
    {
        using var document = JsonDocument.Parse("""
            {"actor":{"mbox":"mailto:Ann@Example.COM"},"verb":{"id":"http://adlnet.gov/expapi/verbs/voided"},
             "object":{"objectType":"StatementRef","id":"8f87ccde-bb56-4c2e-ab83-44982ef22df0"},
             "context":{"instructor":{"openid":"https://id.example.com/t"},"contextActivities":{"parent":{"id":"http://example.com/p"}}}}
            """);
        var facts = XapiStatementFacts.From(document.RootElement);
        Assert.Equal(Guid.Parse("8f87ccde-bb56-4c2e-ab83-44982ef22df0"), facts.Voids);
        Assert.Contains("mbox:mailto:Ann@example.com", facts.AgentKeys);
        Assert.Contains("mbox_sha1sum:" + XapiStatementFacts.MboxSha1("mailto:Ann@example.com"), facts.AgentKeys);
        Assert.Contains("openid:https://id.example.com/t", facts.RelatedAgentKeys);
        Assert.DoesNotContain("openid:https://id.example.com/t", facts.AgentKeys);
        Assert.Equal(["http://example.com/p"], facts.RelatedActivityIds);
    }

    // Signed statements.

    const string Statement = """{"actor":{"mbox":"mailto:a@b.c"},"verb":{"id":"http://example.com/v"},"object":{"id":"http://example.com/a"}}""";

    static string B64(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>A JWS over <paramref name="payload"/>, signed by a fresh key whose self-signed certificate is in x5c.</summary>
    public static string Sign(string payload, string alg = "RS256", RSA? signWith = null)
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=signer", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var header = B64(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { alg, x5c = new[] { Convert.ToBase64String(certificate.RawData) } })));
        var body = B64(Encoding.UTF8.GetBytes(payload));
        var hash = alg switch { "RS384" => HashAlgorithmName.SHA384, "RS512" => HashAlgorithmName.SHA512, _ => HashAlgorithmName.SHA256 };
        var signature = (signWith ?? rsa).SignData(Encoding.ASCII.GetBytes(header + "." + body), hash, RSASignaturePadding.Pkcs1);
        return header + "." + body + "." + B64(signature);
    }

    static string? Check(string jws, string received)
    {
        using var document = JsonDocument.Parse(received);
        return XapiSignature.Check(jws, document.RootElement);
    }

    [Theory]
    [InlineData("RS256")]
    [InlineData("RS384")]
    [InlineData("RS512")]
    public void A_good_signature_is_accepted(string alg) => Assert.Null(Check(Sign(Statement, alg), Statement));

    [Fact]
    public void A_signature_ignores_what_the_lrs_sets_and_the_signature_attachment()
    {
        var received = Statement[..^1] + ""","stored":"2026-01-01T00:00:00Z","id":"fd41c918-b88b-4b20-a0a5-a4c32391aaa0","attachments":[{"usageType":"http://adlnet.gov/expapi/attachments/signature","display":{"en":"s"},"contentType":"application/octet-stream","length":1,"sha2":"00"}]}""";
        Assert.Null(Check(Sign(Statement), received));
    }

    [Fact]
    public void A_signature_over_another_statement_is_refused() =>
        Assert.Contains("differs", Check(Sign(Statement.Replace("/v\"", "/w\"", StringComparison.Ordinal)), Statement), StringComparison.Ordinal);

    [Fact]
    public void A_signature_made_by_another_key_is_refused()
    {
        using var other = RSA.Create(2048);
        Assert.Contains("does not verify", Check(Sign(Statement, signWith: other), Statement), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not-a-jws")]
    [InlineData("a.b")]
    [InlineData("eyJhbGciOiJIUzI1NiJ9.e30.c2ln")]
    public void A_malformed_signature_or_another_algorithm_is_refused(string jws) => Assert.NotNull(Check(jws, Statement));
}
