using System.Security.Cryptography;

namespace Hephaestus.Storage.Tests;

/// <summary>
/// What every <see cref="IObjectStore"/> promises (its comments are the contract), run once per implementation by the
/// subclasses. Each test gets a store of its own (a new directory, a new bucket), so listings are its own.
/// </summary>
public abstract class ObjectStoreContract
{
    protected const long MiB = 1024 * 1024;

    /// <summary>A store no other test sees.</summary>
    protected abstract Task<IObjectStore> NewStoreAsync();

    /// <summary>What the store holds besides its objects (temporaries of writes): empty after every finished write.</summary>
    protected abstract Task<IReadOnlyList<string>> LeftoversAsync(IObjectStore store);

    /// <summary>Leaves behind what a write interrupted by a crash would.</summary>
    protected abstract Task AbandonTemporaryAsync(IObjectStore store);

    /// <summary>Whether the store hands out presigned URLs.</summary>
    protected abstract bool Presigns { get; }

    /// <summary>A body within one part, and one of several where the store writes in parts.</summary>
    public static TheoryData<long> OneAndSeveralParts => [1_000L, 3 * MiB];

    static CancellationToken Ct => TestContext.Current.CancellationToken;

    static ObjectExpectation Limit(long maxBytes = 64 * MiB, string? sha256 = null, long? size = null) => new(maxBytes, sha256, size);

    static async Task<string> HashOfAsync(IObjectStore store, string sha256)
    {
        await using var body = await store.OpenReadAsync(sha256, null, Ct);
        Assert.NotNull(body);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(body.Content, Ct));
    }

    static async Task<byte[]> ReadAsync(ObjectBody body)
    {
        using var copy = new MemoryStream();
        await body.Content.CopyToAsync(copy, Ct);
        return copy.ToArray();
    }

    static async Task<List<ObjectInfo>> ListAsync(IObjectStore store)
    {
        var listed = new List<ObjectInfo>();
        await foreach (var info in store.ListAsync(Ct)) listed.Add(info);
        return listed;
    }

    async Task AssertNothingStoredAsync(IObjectStore store)
    {
        Assert.Empty(await ListAsync(store));
        Assert.Empty(await LeftoversAsync(store));
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(1_000L)]
    [InlineData(3 * MiB + 12_345)] // several parts where the store writes in parts
    public async Task A_body_put_reads_back_byte_for_byte_under_its_sha256(long length)
    {
        var store = await NewStoreAsync();
        var expected = GeneratedBody.Sha256(length, seed: 1);

        var stored = await store.PutAsync(new GeneratedBody(length, seed: 1), Limit(), Ct);

        Assert.Equal(expected, stored.Sha256);
        Assert.Equal(length, stored.Size);
        Assert.Equal($"sha256/{expected[..2]}/{expected}", stored.Key);
        Assert.Equal(expected, await HashOfAsync(store, stored.Sha256));
        Assert.Empty(await LeftoversAsync(store));
    }

    [Theory]
    [MemberData(nameof(OneAndSeveralParts))]
    public async Task The_same_body_twice_is_one_object_and_one_listing_entry(long length)
    {
        var store = await NewStoreAsync();

        var first = await store.PutAsync(new GeneratedBody(length, seed: 2), Limit(), Ct);
        var second = await store.PutAsync(new GeneratedBody(length, seed: 2), Limit(sha256: first.Sha256, size: length), Ct);
        var other = await store.PutAsync(new GeneratedBody(length, seed: 3), Limit(), Ct);

        Assert.Equal(first, second);
        Assert.NotEqual(first.Sha256, other.Sha256);
        var listed = await ListAsync(store);
        Assert.Equal(new[] { first.Sha256, other.Sha256 }.Order(StringComparer.Ordinal), listed.Select(i => i.Sha256).Order(StringComparer.Ordinal));
        Assert.All(listed, i => Assert.Equal(length, i.Size));
        Assert.Empty(await LeftoversAsync(store));
    }

    [Theory]
    [MemberData(nameof(OneAndSeveralParts))]
    public async Task A_body_whose_sha256_differs_from_the_declared_one_is_refused_and_nothing_remains(long length)
    {
        var store = await NewStoreAsync();
        var declared = GeneratedBody.Sha256(length, seed: 5);

        var refused = await Assert.ThrowsAsync<ObjectRefusedException>(() => store.PutAsync(new GeneratedBody(length, seed: 4), Limit(sha256: declared), Ct));

        Assert.Equal(ObjectRefusal.HashMismatch, refused.Reason);
        Assert.Contains(declared, refused.Message, StringComparison.Ordinal);
        await AssertNothingStoredAsync(store);
    }

    [Theory]
    [InlineData(1_000L, 999L)]
    [InlineData(1_000L, 1_001L)]
    [InlineData(3 * MiB, 3 * MiB - 1)]
    public async Task A_body_whose_length_differs_from_the_declared_one_is_refused_and_nothing_remains(long length, long declared)
    {
        var store = await NewStoreAsync();

        var refused = await Assert.ThrowsAsync<ObjectRefusedException>(() => store.PutAsync(new GeneratedBody(length, seed: 6), Limit(size: declared), Ct));

        Assert.Equal(ObjectRefusal.SizeMismatch, refused.Reason);
        await AssertNothingStoredAsync(store);
    }

    [Theory]
    [InlineData(100_000L)]
    [InlineData(2 * MiB + 100)] // past the first part where the store writes in parts
    public async Task A_body_past_the_limit_is_refused_as_it_streams_and_nothing_remains(long limit)
    {
        var store = await NewStoreAsync();
        var body = new GeneratedBody(10 * limit, seed: 7);

        var refused = await Assert.ThrowsAsync<ObjectRefusedException>(() => store.PutAsync(body, Limit(maxBytes: limit), Ct));

        Assert.Equal(ObjectRefusal.TooLarge, refused.Reason);
        // Read up to the limit and at most one copy buffer (128 KiB) past it: never to the end of the body.
        Assert.InRange(body.BytesRead, limit + 1, limit + (128 * 1024));
        await AssertNothingStoredAsync(store);
    }

    [Fact]
    public async Task Byte_ranges_read_the_first_bytes_the_middle_and_a_suffix_to_the_end()
    {
        var store = await NewStoreAsync();
        const long length = 1_000_000;
        var stored = await store.PutAsync(new GeneratedBody(length, seed: 8), Limit(), Ct);

        await AssertRangeAsync(new ByteRange(0, 9), first: 0, count: 10);
        await AssertRangeAsync(new ByteRange(500_000, 500_099), first: 500_000, count: 100);
        await AssertRangeAsync(new ByteRange(length - 10, null), first: length - 10, count: 10);
        await AssertRangeAsync(new ByteRange(length - 5, length + 100), first: length - 5, count: 5); // the end past the body is clamped

        await using var beyond = await store.OpenReadAsync(stored.Sha256, new ByteRange(length + 10, null), Ct);
        Assert.NotNull(beyond);
        Assert.Equal(0, beyond.Length);
        Assert.Equal(length, beyond.TotalSize);
        Assert.Empty(await ReadAsync(beyond));

        async Task AssertRangeAsync(ByteRange range, long first, int count)
        {
            await using var body = await store.OpenReadAsync(stored.Sha256, range, Ct);
            Assert.NotNull(body);
            Assert.Equal(first, body.First);
            Assert.Equal(count, body.Length);
            Assert.Equal(length, body.TotalSize);
            Assert.Equal(GeneratedBody.Slice(length, 8, first, count), await ReadAsync(body));
        }
    }

    [Fact]
    public async Task Stat_list_and_delete_see_an_object_until_it_is_deleted()
    {
        var store = await NewStoreAsync();
        var stored = await store.PutAsync(new GeneratedBody(4_321, seed: 9), Limit(), Ct);
        var absent = GeneratedBody.Sha256(1, seed: 9);

        var info = await store.StatAsync(stored.Sha256, Ct);
        Assert.NotNull(info);
        Assert.Equal(4_321, info.Size);
        Assert.InRange(info.StoredAt, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(5));
        Assert.Null(await store.StatAsync(absent, Ct));
        Assert.Null(await store.OpenReadAsync(absent, null, Ct));
        Assert.Equal([stored.Sha256], (await ListAsync(store)).Select(i => i.Sha256));

        Assert.True(await store.DeleteAsync(stored.Sha256, Ct));

        Assert.False(await store.DeleteAsync(stored.Sha256, Ct));
        Assert.Null(await store.StatAsync(stored.Sha256, Ct));
        Assert.Null(await store.OpenReadAsync(stored.Sha256, null, Ct));
        Assert.Empty(await ListAsync(store));
    }

    [Fact]
    public async Task An_address_that_is_not_a_lowercase_sha256_is_refused_before_it_reaches_a_key()
    {
        var store = await NewStoreAsync();

        await Assert.ThrowsAsync<ArgumentException>(() => store.OpenReadAsync("../../etc/passwd", null, Ct));
        await Assert.ThrowsAsync<ArgumentException>(() => store.StatAsync(new string('A', 64), Ct));
        await Assert.ThrowsAsync<ArgumentException>(() => store.DeleteAsync("abc", Ct));
    }

    [Fact]
    public async Task Removing_incomplete_writes_drops_abandoned_temporaries_older_than_the_time_and_keeps_objects()
    {
        var store = await NewStoreAsync();
        var stored = await store.PutAsync(new GeneratedBody(2_000, seed: 10), Limit(), Ct);
        await AbandonTemporaryAsync(store);

        // A temporary younger than the time may be a write in progress: it stays.
        Assert.Equal(0, await store.RemoveIncompleteAsync(DateTimeOffset.UtcNow.AddHours(-1), Ct));
        Assert.NotEmpty(await LeftoversAsync(store));

        Assert.True(await store.RemoveIncompleteAsync(DateTimeOffset.UtcNow.AddMinutes(1), Ct) >= 1);

        Assert.Empty(await LeftoversAsync(store));
        Assert.Equal(stored.Sha256, await HashOfAsync(store, stored.Sha256));
    }

    [Fact]
    public async Task A_presigned_url_serves_the_bytes_with_the_media_type_where_the_store_has_such_urls()
    {
        var store = await NewStoreAsync();
        var stored = await store.PutAsync(new GeneratedBody(5_000, seed: 11), Limit(), Ct);

        var url = store.PresignRead(stored.Sha256, TimeSpan.FromMinutes(5), "image/png");

        if (!Presigns)
        {
            Assert.Null(url);
            return;
        }

        Assert.NotNull(url);
        using var http = new HttpClient();
        using var response = await http.GetAsync(url, Ct);
        response.EnsureSuccessStatusCode();
        Assert.Equal("image/png", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(GeneratedBody.Slice(5_000, 11, 0, 5_000), await response.Content.ReadAsByteArrayAsync(Ct));

        // The signature covers the object: the same URL for another key is refused.
        var tampered = new Uri(url.ToString().Replace(stored.Sha256, GeneratedBody.Sha256(1, 11), StringComparison.Ordinal));
        using var refused = await http.GetAsync(tampered, Ct);
        Assert.False(refused.IsSuccessStatusCode);
    }

    [Fact]
    public async Task A_named_object_is_written_whole_replaced_by_a_rewrite_read_back_and_listed_by_prefix()
    {
        var store = await NewStoreAsync();
        var named = Assert.IsAssignableFrom<INamedObjects>(store);
        // Larger than the S3 test store's part: the multipart path runs, and the name appears only when it completes.
        var large = new byte[3 * 1024 * 1024 + 17];
        new Random(7).NextBytes(large);
        Assert.Equal(large.Length, await named.PutNamedAsync("lake/events/date=2026-12-01/part-00001.parquet", new MemoryStream(large), Ct));
        Assert.Equal(5, await named.PutNamedAsync("lake/events/date=2026-12-01/part-00002.parquet", new MemoryStream("first"u8.ToArray()), Ct));
        // A retried write of the same name replaces it.
        Assert.Equal(6, await named.PutNamedAsync("lake/events/date=2026-12-01/part-00002.parquet", new MemoryStream("second"u8.ToArray()), Ct));
        await named.PutNamedAsync("lake/other/x", new MemoryStream([1]), Ct);

        Assert.Equal(["lake/events/date=2026-12-01/part-00001.parquet", "lake/events/date=2026-12-01/part-00002.parquet"],
            await named.ListNamedAsync("lake/events/", Ct));
        await using (var read = await named.OpenNamedAsync("lake/events/date=2026-12-01/part-00001.parquet", Ct))
        {
            var copy = new MemoryStream();
            await read!.CopyToAsync(copy, Ct);
            Assert.Equal(large, copy.ToArray());
        }

        await using (var read = await named.OpenNamedAsync("lake/events/date=2026-12-01/part-00002.parquet", Ct))
        {
            Assert.Equal("second", await new StreamReader(read!).ReadToEndAsync(Ct));
        }

        Assert.Null(await named.OpenNamedAsync("lake/events/none", Ct));
        // Names stay apart from the content-addressed objects and cannot climb out of the store.
        foreach (var bad in new[] { "sha256/ab/x", "incoming/x", "../x", "a/../../x", "A/b", "/abs", "" })
        {
            await Assert.ThrowsAsync<ArgumentException>(() => named.PutNamedAsync(bad, new MemoryStream([1]), Ct));
        }

        var content = new List<ObjectInfo>();
        await foreach (var o in store.ListAsync(Ct)) content.Add(o);
        Assert.Empty(content);
    }
}
