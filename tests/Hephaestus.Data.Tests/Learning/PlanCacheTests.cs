using Hephaestus.Data.Learning;
using Hephaestus.Testing;

namespace Hephaestus.Data.Tests.Learning;

/// <summary>
/// Issue 13: a stale plan is reloaded by one caller while the others serve it; before, every request in flight when a
/// popular version's entry expired read and parsed the version again.
/// </summary>
public class PlanCacheTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    sealed class Clock : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);
        public override DateTimeOffset GetUtcNow() => Now;
    }

    /// <summary>A published version of one skill step on a skill with this code.</summary>
    async Task<(Guid Version, Guid Skill)> PublishedVersionAsync()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var skill = await Catalog.SkillAsync(db, await Catalog.FrameworkAsync(db, "plans-" + tag), "before-" + tag);
        var (path, version) = (Guid.CreateVersion7(), Guid.CreateVersion7());
        await db.ExecuteAsync("INSERT INTO hephaestus.learning_paths (id, code, title) VALUES ($1, $2, 'Plans')", path, "plans-" + tag);
        await db.ExecuteAsync("INSERT INTO hephaestus.path_versions (id, path_id, version) VALUES ($1, $2, 1)", version, path);
        await db.ExecuteAsync("""
            INSERT INTO hephaestus.path_steps (id, path_version_id, step_key, kind, ref_id, title, position, target_skill_ids)
            VALUES ($1, $2, 'step-0', 'skill', $3, 'Step 0', 0, ARRAY[$3::uuid])
            """, Guid.CreateVersion7(), version, skill);
        await db.ExecuteAsync("UPDATE hephaestus.path_versions SET status = 'published', published_at = now() WHERE id = $1", version);
        return (version, skill);
    }

    [Fact]
    public async Task A_stale_plan_is_reloaded_once_while_concurrent_callers_serve_it()
    {
        var ct = TestContext.Current.CancellationToken;
        var (version, skill) = await PublishedVersionAsync();
        var learner = new Actor(await db.CreateUserAsync($"l-{Guid.NewGuid():N}@plans.test", "learner"), ["learner"]);
        var clock = new Clock();
        var cache = new PlanCache(clock);

        async Task<VersionPlan?> GetAsync()
        {
            await using var connection = await db.App.OpenConnectionAsync(ct);
            return await cache.GetAsync(connection, null, learner, version, ct);
        }

        var first = await GetAsync();
        Assert.NotNull(first);
        Assert.StartsWith("before-", first.Skills[skill].Code);
        Assert.Equal(first, await GetAsync());
        Assert.Equal(1, cache.Loads);

        // The skill is renamed and the entry's minute passes: 16 callers at once, one reload.
        await db.ExecuteAsync("UPDATE hephaestus.skills SET code = 'after-' || code WHERE id = $1", skill);
        clock.Now += TimeSpan.FromMinutes(2);
        var plans = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => GetAsync()));
        Assert.All(plans, Assert.NotNull);
        Assert.Equal(2, cache.Loads);
        Assert.Contains(plans, p => p!.Skills[skill].Code.StartsWith("after-", StringComparison.Ordinal));

        // Afterwards everyone gets the reloaded plan without another read.
        var later = await GetAsync();
        Assert.StartsWith("after-", later!.Skills[skill].Code);
        Assert.Equal(2, cache.Loads);
    }
}
