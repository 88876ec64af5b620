using System.Net;
using System.Net.Http.Headers;
using Hephaestus.Testing;
using static Hephaestus.Server.Tests.Content.ContentWorld;

namespace Hephaestus.Server.Tests.Content;

public class ContentBodiesTests(ApiDatabase db) : IClassFixture<ApiDatabase>
{
    [Fact]
    public async Task The_same_body_uploaded_twice_is_one_object_and_one_row()
    {
        var (_, author) = await db.UserAsync($"author-{Guid.NewGuid():N}@example.org", "author");
        var body = Bytes(300_000, 1);
        var first = await UploadAsync(author, body);
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        var second = await UploadAsync(author, body, digest: $"sha-256=:{Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(body))}:");
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        var answered = await Json.ReadAsync(second);
        Assert.Equal(Sha256(body), answered.GetProperty("sha256").GetString());
        Assert.Equal(body.Length, answered.GetProperty("size").GetInt64());
        Assert.Single(await ObjectsAsync(db), Sha256(body));
        Assert.Equal(1L, await db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.content_bodies WHERE sha256 = $1", Sha256(body)));
    }

    [Fact]
    public async Task A_digest_mismatch_is_422_and_nothing_is_stored()
    {
        var (_, author) = await db.UserAsync($"author-{Guid.NewGuid():N}@example.org", "author");
        var (objects, rows) = (await ObjectsAsync(db), await RowsAsync(db));
        var wrong = Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(Bytes(10, 3)));
        var problem = await Json.ProblemAsync(await UploadAsync(author, Bytes(5000, 2), digest: $"sha-256=:{wrong}:"), 422);
        Assert.Equal("/Content-Digest", problem.GetProperty("field").GetString());
        Assert.Equal(objects.Order(), (await ObjectsAsync(db)).Order());
        Assert.Equal(rows, await RowsAsync(db));
        // A malformed digest is refused before anything is read.
        await Json.ProblemAsync(await UploadAsync(author, Bytes(10, 2), digest: "sha-256=abc"), 400);
    }

    [Fact]
    public async Task A_media_type_not_allowed_is_415_and_only_writers_upload()
    {
        var (_, author) = await db.UserAsync($"author-{Guid.NewGuid():N}@example.org", "author");
        var (_, learner) = await db.UserAsync($"learner-{Guid.NewGuid():N}@example.org", "learner");
        var rows = await RowsAsync(db);
        await Json.ProblemAsync(await UploadAsync(author, Bytes(10, 4), "application/x-msdownload"), 415);
        await Json.ProblemAsync(await UploadAsync(learner, Bytes(10, 4)), 403);
        Assert.Equal(rows, await RowsAsync(db));
    }

    [Fact]
    public async Task A_body_past_the_configured_limit_is_413_and_nothing_is_stored_whether_its_length_is_declared_or_not()
    {
        var (_, _) = await db.UserAsync("limit-author@example.org", "author");
        await using var limited = db.Api.WithWebHostBuilder(b => b.UseSetting("Content:MaxBodyBytes", "4096"));
        var client = limited.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ApiFactory.Token("test|limit-author@example.org"));
        var (objects, rows) = (await ObjectsAsync(db), await RowsAsync(db));

        await Json.ProblemAsync(await UploadAsync(client, Bytes(4097, 5)), 413);
        // Chunked (no Content-Length): the store refuses as the bytes stream past the limit.
        var chunked = new StreamContent(new NoLengthStream(Bytes(50_000, 6)));
        chunked.Headers.ContentType = new MediaTypeHeaderValue("text/plain");
        await Json.ProblemAsync(await client.PostAsync("/api/v1/content/bodies", chunked), 413);

        Assert.Equal(objects.Order(), (await ObjectsAsync(db)).Order());
        Assert.Equal(rows, await RowsAsync(db));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(ApiFactory.ObjectsPath(db), "incoming")));
        // At the limit it is stored: the endpoint lifts the 1 MiB API limit to its own, and no further.
        Assert.Equal(HttpStatusCode.Created, (await UploadAsync(client, Bytes(4096, 7))).StatusCode);
    }

    [Fact]
    public async Task A_body_larger_than_the_api_wide_limit_is_accepted_by_the_upload()
    {
        var (_, author) = await db.UserAsync($"author-{Guid.NewGuid():N}@example.org", "author");
        var body = Bytes(3 * 1024 * 1024, 8);
        Assert.Equal(HttpStatusCode.Created, (await UploadAsync(author, body, "video/mp4")).StatusCode);
        Assert.Contains(Sha256(body), await ObjectsAsync(db));
    }

    [Fact]
    public async Task A_body_is_delivered_with_its_etag_conditional_requests_and_ranges()
    {
        var (_, author) = await db.UserAsync($"author-{Guid.NewGuid():N}@example.org", "author");
        var bytes = Bytes(10_000, 9);
        var sha = await BodyAsync(author, bytes);
        var version = await VersionAsync(author, await ItemAsync(author), Human(sha));
        var url = $"/api/v1/content/versions/{version.GetProperty("id").GetGuid()}/body";

        var whole = await author.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, whole.StatusCode);
        Assert.Equal(bytes, await whole.Content.ReadAsByteArrayAsync());
        Assert.Equal($"\"{sha}\"", whole.Headers.ETag!.ToString());
        Assert.Equal("text/markdown", whole.Content.Headers.ContentType!.MediaType);
        Assert.Contains("bytes", whole.Headers.AcceptRanges);
        Assert.Contains("private", whole.Headers.CacheControl!.ToString(), StringComparison.Ordinal);

        var conditional = new HttpRequestMessage(HttpMethod.Get, url);
        conditional.Headers.IfNoneMatch.Add(new EntityTagHeaderValue($"\"{sha}\""));
        var notModified = await author.SendAsync(conditional);
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        Assert.Empty(await notModified.Content.ReadAsByteArrayAsync());

        var ranged = new HttpRequestMessage(HttpMethod.Get, url);
        ranged.Headers.Range = new RangeHeaderValue(100, 199);
        var partial = await author.SendAsync(ranged);
        Assert.Equal(HttpStatusCode.PartialContent, partial.StatusCode);
        Assert.Equal(bytes[100..200], await partial.Content.ReadAsByteArrayAsync());
        Assert.Equal("bytes 100-199/10000", partial.Content.Headers.ContentRange!.ToString());

        var suffix = new HttpRequestMessage(HttpMethod.Get, url);
        suffix.Headers.Range = new RangeHeaderValue(null, 10);
        Assert.Equal(bytes[^10..], await (await author.SendAsync(suffix)).Content.ReadAsByteArrayAsync());

        var beyond = new HttpRequestMessage(HttpMethod.Get, url);
        beyond.Headers.Range = new RangeHeaderValue(10_000, null);
        var unsatisfiable = await author.SendAsync(beyond);
        await Json.ProblemAsync(unsatisfiable, 416);
        Assert.Equal("bytes */10000", unsatisfiable.Content.Headers.ContentRange!.ToString());

        // Several ranges: answered whole (documented), not as multipart.
        var several = new HttpRequestMessage(HttpMethod.Get, url);
        several.Headers.TryAddWithoutValidation("Range", "bytes=0-1,5-6");
        var all = await author.SendAsync(several);
        Assert.Equal(HttpStatusCode.OK, all.StatusCode);
        Assert.Equal(bytes.Length, (await all.Content.ReadAsByteArrayAsync()).Length);

        // The filesystem store has no presigned URLs: ?redirect=true streams.
        Assert.Equal(HttpStatusCode.OK, (await author.GetAsync(url + "?redirect=true")).StatusCode);
    }

    [Theory]
    [InlineData("sha-256=:" + "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=" + ":", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", null)]
    [InlineData("md5=:abc=:, sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", null)]
    [InlineData("md5=:abc=:", null, "must include sha-256=:<base64>: (the only algorithm checked)")]
    [InlineData("sha-256=:AAAA:", null, "sha-256 must be the base64 of 32 bytes")]
    [InlineData("", null, null)]
    public void Content_digest_headers_are_read_as_rfc_9530_says(string header, string? sha256, string? error) =>
        Assert.Equal((sha256, error), Features.Content.ContentApi.DeclaredSha256(header));

    /// <summary>A stream whose length is unknown, so the client sends it chunked.</summary>
    sealed class NoLengthStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }
}
