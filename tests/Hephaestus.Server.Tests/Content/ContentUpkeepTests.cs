using System.Net;
using Hephaestus.Server.Cli;
using Hephaestus.Server.Features.Content;
using Hephaestus.Storage;
using Hephaestus.Testing;
using static Hephaestus.Server.Tests.Content.ContentWorld;

namespace Hephaestus.Server.Tests.Content;

/// <summary>`content verify` and `content gc` against this class's own object store and database.</summary>
public class ContentUpkeepTests(ApiDatabase db) : IClassFixture<ApiDatabase>
{
    static readonly TimeSpan Day = TimeSpan.FromHours(24);

    /// <summary>Makes an object look older than the grace (the filesystem store dates objects by their file's time).</summary>
    void Age(string sha256) =>
        File.SetLastWriteTimeUtc(Path.Combine(ApiFactory.ObjectsPath(db), ObjectAddress.KeyOf(sha256)), DateTime.UtcNow.AddDays(-2));

    Task AgeRow(string sha256) => db.ExecuteAsync("UPDATE hephaestus.content_bodies SET stored_at = now() - interval '2 days' WHERE sha256 = $1", sha256);

    [Fact]
    public async Task A_failure_between_the_object_and_its_row_leaves_an_orphan_that_verify_reports_and_gc_removes_after_the_grace()
    {
        var (_, author) = await db.UserAsync("upkeep-author@example.org", "author");
        var store = Store(db);
        var kept = await BodyAsync(author, Bytes(1000, 40));
        await VersionAsync(author, await ItemAsync(author), Human(kept));
        Assert.True((await ContentUpkeep.VerifyAsync(db.Owner, store, hash: true, CancellationToken.None)).Clean);

        // The injected failure: the database refuses the row after the store took the object (a real refusal of the
        // upload's own INSERT, not a simulation of it).
        var lost = Bytes(2000, 41);
        await db.ExecuteAsync("REVOKE INSERT ON hephaestus.content_bodies FROM hephaestus_app");
        HttpResponseMessage failed;
        try
        {
            failed = await UploadAsync(author, lost);
        }
        finally
        {
            await db.ExecuteAsync("GRANT INSERT ON hephaestus.content_bodies TO hephaestus_app");
        }

        Assert.False(failed.IsSuccessStatusCode);
        Assert.Contains(Sha256(lost), await ObjectsAsync(db));
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.content_bodies WHERE sha256 = $1", Sha256(lost)));

        var report = await ContentUpkeep.VerifyAsync(db.Owner, store, hash: true, CancellationToken.None);
        Assert.False(report.Clean);
        var orphan = Assert.Single(report.Findings);
        Assert.Equal((VerifyReport.OrphanObject, Sha256(lost)), (orphan.Problem, orphan.Sha256));
        Assert.Contains("orphan object", ContentCommands.Format(report), StringComparison.Ordinal);

        // Within the grace it stays (an upload's row may be about to follow); past it, it goes.
        var young = await ContentUpkeep.CollectAsync(db.Owner, store, Day, CancellationToken.None);
        Assert.Empty(young.OrphanObjectsDeleted);
        Assert.Contains(Sha256(lost), await ObjectsAsync(db));
        Age(Sha256(lost));
        var collected = await ContentUpkeep.CollectAsync(db.Owner, store, Day, CancellationToken.None);
        Assert.Equal([Sha256(lost)], collected.OrphanObjectsDeleted);
        Assert.DoesNotContain(Sha256(lost), await ObjectsAsync(db));
        Assert.Contains(kept, await ObjectsAsync(db));

        // No row lacks its object, and nothing is left to report.
        var after = await ContentUpkeep.VerifyAsync(db.Owner, store, hash: true, CancellationToken.None);
        Assert.True(after.Clean, ContentCommands.Format(after));
    }

    [Fact]
    public async Task Gc_keeps_a_fresh_unreferenced_body_and_collects_an_old_one_with_its_object_and_verify_sees_missing_and_corrupt_objects()
    {
        var (_, author) = await db.UserAsync("gc-author@example.org", "author");
        var store = Store(db);
        var fresh = await BodyAsync(author, Bytes(500, 42));
        var old = await BodyAsync(author, Bytes(500, 43));
        await AgeRow(old);
        Age(old);
        var report = await ContentUpkeep.CollectAsync(db.Owner, store, Day, CancellationToken.None);
        Assert.Equal([old], report.BodiesDeleted);
        Assert.Contains(fresh, await ObjectsAsync(db));
        Assert.DoesNotContain(old, await ObjectsAsync(db));
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.content_bodies WHERE sha256 = $1", old));

        // Uploading an old body again refreshes its row: the grace counts from the latest upload.
        await AgeRow(fresh);
        Assert.Equal(HttpStatusCode.OK, (await UploadAsync(author, Bytes(500, 42))).StatusCode);
        Assert.DoesNotContain(fresh, (await ContentUpkeep.CollectAsync(db.Owner, store, Day, CancellationToken.None)).BodiesDeleted);

        // A row whose object is gone, and an object whose bytes changed.
        var gone = await BodyAsync(author, Bytes(300, 44));
        var corrupt = await BodyAsync(author, Bytes(300, 45));
        await store.DeleteAsync(gone, CancellationToken.None);
        await File.WriteAllBytesAsync(Path.Combine(ApiFactory.ObjectsPath(db), ObjectAddress.KeyOf(corrupt)), Bytes(300, 46));
        var verified = await ContentUpkeep.VerifyAsync(db.Owner, store, hash: true, CancellationToken.None);
        Assert.Equal(
            new[] { (VerifyReport.MissingObject, gone), (VerifyReport.CorruptObject, corrupt) }.OrderBy(f => f.Item2),
            verified.Findings.Select(f => (f.Problem, f.Sha256)).OrderBy(f => f.Item2));
        await db.ExecuteAsync("DELETE FROM hephaestus.content_bodies WHERE sha256 = ANY ($1)", (object)new[] { gone, corrupt });
        await store.DeleteAsync(corrupt, CancellationToken.None);
    }

    [Fact]
    public async Task Gc_racing_a_version_that_references_the_body_leaves_the_version_with_its_body()
    {
        var (_, author) = await db.UserAsync("race-author@example.org", "author");
        var store = Store(db);
        var item = await ItemAsync(author);
        var sha = await BodyAsync(author, Bytes(700, 47));
        await AgeRow(sha);
        Age(sha);

        // A version is being created (its transaction holds the body row's key-share lock from the foreign key check)…
        await using var connection = await db.Owner.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var insert = new Npgsql.NpgsqlCommand(
            "INSERT INTO hephaestus.content_versions (content_item_id, version, body_sha256, media_type, origin) VALUES ($1, 1, $2, 'text/plain', 'human')",
            connection, transaction))
        {
            insert.Parameters.AddWithValue(item);
            insert.Parameters.AddWithValue(sha);
            await insert.ExecuteNonQueryAsync();
        }

        // …while gc decides the body is unreferenced (the version is not committed) and tries to delete it.
        var gc = ContentUpkeep.CollectAsync(db.Owner, store, Day, CancellationToken.None);
        var waited = TimeSpan.Zero;
        while (await db.ScalarAsync<long>("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'") == 0)
        {
            Assert.True(waited < TimeSpan.FromSeconds(20), "gc never waited on the version's lock");
            Assert.False(gc.IsCompleted, "gc finished without waiting on the version's lock");
            await Task.Delay(50);
            waited += TimeSpan.FromMilliseconds(50);
        }

        await transaction.CommitAsync();
        var report = await gc;
        Assert.Empty(report.BodiesDeleted);
        Assert.Equal(1L, await db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.content_bodies WHERE sha256 = $1", sha));
        Assert.Contains(sha, await ObjectsAsync(db));
        Assert.True((await ContentUpkeep.VerifyAsync(db.Owner, store, hash: true, CancellationToken.None)).Clean);
    }

    [Theory]
    [InlineData("24h", 24 * 60)]
    [InlineData("30m", 30)]
    [InlineData("7d", 7 * 24 * 60)]
    [InlineData("0s", 0)]
    [InlineData("01:00:00", 60)]
    public void Grace_periods_are_read_in_common_units(string text, int minutes) =>
        Assert.Equal(TimeSpan.FromMinutes(minutes), ContentCommands.ParseDuration(text));

    [Theory]
    [InlineData("-1h")]
    [InlineData("soon")]
    [InlineData("5y")]
    public void A_grace_that_is_no_duration_is_refused(string text) => Assert.Null(ContentCommands.ParseDuration(text));
}
