using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Hephaestus.Testing;
using static Hephaestus.Server.Tests.Xapi.XapiStatementsTests;

namespace Hephaestus.Server.Tests.Xapi;

public class XapiAttachmentsTests(ApiDatabase db) : IClassFixture<ApiDatabase>
{
    const string Signature = "http://adlnet.gov/expapi/attachments/signature";

    static string Hex(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    static string Attachment(string usage, string contentType, byte[] body) =>
        $"{{\"usageType\":\"{usage}\",\"display\":{{\"en\":\"a\"}},\"contentType\":\"{contentType}\",\"length\":{body.Length},\"sha2\":\"{Hex(body)}\"}}";

    /// <summary>A multipart/mixed request: the Statements first, then each body with its hash header.</summary>
    static HttpRequestMessage Multipart(string statements, params (byte[] Body, string ContentType, string? Hash)[] parts)
    {
        var content = new MultipartContent("mixed");
        content.Add(new StringContent(statements, Encoding.UTF8, "application/json"));
        foreach (var (body, contentType, hash) in parts)
        {
            var part = new ByteArrayContent(body);
            part.Headers.ContentType = new MediaTypeHeaderValue(contentType);
            part.Headers.Add("Content-Transfer-Encoding", "binary");
            part.Headers.Add("X-Experience-API-Hash", hash ?? Hex(body));
            content.Add(part);
        }

        var request = new HttpRequestMessage(HttpMethod.Post, Url) { Content = content };
        request.Headers.Add("X-Experience-API-Version", "2.0.0");
        return request;
    }

    async Task<(string Email, HttpClient Client)> LearnerAsync()
    {
        var email = $"learner-{Guid.NewGuid():N}@example.org";
        var (_, client) = await db.UserAsync(email, "learner");
        return (email, client);
    }

    [Fact]
    public async Task Attachments_go_in_and_come_back_in_multipart_mixed()
    {
        var (email, client) = await LearnerAsync();
        var pdf = RandomNumberGenerator.GetBytes(70_000);
        var statement = Statement(email, extra: $",\"attachments\":[{Attachment("http://example.com/usage/essay", "application/pdf", pdf)}]");
        var response = await client.SendAsync(Multipart(statement, (pdf, "application/pdf", null)));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var id = JsonSerializer.Deserialize<Guid[]>(await response.Content.ReadAsStringAsync())![0];
        Assert.Equal(Hex(pdf), await db.ScalarAsync<string>("SELECT object_sha256 FROM hephaestus.xapi_attachments WHERE statement_id = $1", id));

        var get = await SendAsync(client, HttpMethod.Get, $"{Url}?statementId={id}&attachments=true");
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal("multipart/mixed", get.Content.Headers.ContentType!.MediaType);
        var boundary = get.Content.Headers.ContentType.Parameters.Single(p => p.Name == "boundary").Value!;
        var reader = new Microsoft.AspNetCore.WebUtilities.MultipartReader(boundary, await get.Content.ReadAsStreamAsync());
        var first = (await reader.ReadNextSectionAsync())!;
        using (var json = await JsonDocument.ParseAsync(first.Body)) Assert.Equal(id, json.RootElement.GetProperty("id").GetGuid());
        var second = (await reader.ReadNextSectionAsync())!;
        Assert.Equal(Hex(pdf), second.Headers!["X-Experience-API-Hash"].ToString());
        using var copy = new MemoryStream();
        await second.Body.CopyToAsync(copy);
        Assert.Equal(pdf, copy.ToArray());
        Assert.Null(await reader.ReadNextSectionAsync());
    }

    [Fact]
    public async Task A_missing_a_stray_or_a_mismatching_part_is_refused_and_nothing_is_stored()
    {
        var (email, client) = await LearnerAsync();
        var body = Encoding.UTF8.GetBytes("certificate");
        var statement = Statement(email, extra: $",\"attachments\":[{Attachment("http://example.com/usage/cert", "text/plain", body)}]");
        var before = await db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.xapi_statements");

        var missing = await Json.ProblemAsync(await SendAsync(client, HttpMethod.Post, Url, statement), 400);
        Assert.True(missing.GetProperty("errors").TryGetProperty("/attachments/0/sha2", out _));
        await Json.ProblemAsync(await client.SendAsync(Multipart(statement, (body, "text/plain", null), (Encoding.UTF8.GetBytes("stray"), "text/plain", null))), 400);
        await Json.ProblemAsync(await client.SendAsync(Multipart(statement, (Encoding.UTF8.GetBytes("other bytes"), "text/plain", Hex(body)))), 400);
        Assert.Equal(before, await db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.xapi_statements"));
    }

    static string B64(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    static byte[] Jws(string payload, RSA? signWith = null)
    {
        using var rsa = RSA.Create(2048);
        using var certificate = new CertificateRequest("CN=signer", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var header = B64(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { alg = "RS256", x5c = new[] { Convert.ToBase64String(certificate.RawData) } })));
        var body = B64(Encoding.UTF8.GetBytes(payload));
        var signature = (signWith ?? rsa).SignData(Encoding.ASCII.GetBytes(header + "." + body), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return Encoding.ASCII.GetBytes(header + "." + body + "." + B64(signature));
    }

    [Fact]
    public async Task A_signed_statement_is_accepted_and_a_bad_signature_refused()
    {
        var (email, client) = await LearnerAsync();
        var unsigned = Statement(email, id: Guid.NewGuid().ToString());
        var jws = Jws(unsigned);
        var signed = unsigned[..^1] + $",\"attachments\":[{Attachment(Signature, "application/octet-stream", jws)}]}}";
        var good = await client.SendAsync(Multipart(signed, (jws, "application/octet-stream", null)));
        Assert.Equal(HttpStatusCode.OK, good.StatusCode);

        // The payload of another Statement, and a signature by a key other than the certificate's, are refused.
        var other = Statement(email, id: Guid.NewGuid().ToString());
        var foreign = Jws(unsigned.Replace("http://example.com/a", "http://example.com/b", StringComparison.Ordinal));
        var mismatch = other[..^1] + $",\"attachments\":[{Attachment(Signature, "application/octet-stream", foreign)}]}}";
        var refused = await Json.ProblemAsync(await client.SendAsync(Multipart(mismatch, (foreign, "application/octet-stream", null))), 400);
        Assert.True(refused.GetProperty("errors").TryGetProperty("/attachments/0", out _));
        using var stranger = RSA.Create(2048);
        var forged = Jws(other, stranger);
        var badKey = other[..^1] + $",\"attachments\":[{Attachment(Signature, "application/octet-stream", forged)}]}}";
        await Json.ProblemAsync(await client.SendAsync(Multipart(badKey, (forged, "application/octet-stream", null))), 400);
        var malformed = Encoding.ASCII.GetBytes("not.a.jws");
        var broken = other[..^1] + $",\"attachments\":[{Attachment(Signature, "application/octet-stream", malformed)}]}}";
        await Json.ProblemAsync(await client.SendAsync(Multipart(broken, (malformed, "application/octet-stream", null))), 400);
    }
}
