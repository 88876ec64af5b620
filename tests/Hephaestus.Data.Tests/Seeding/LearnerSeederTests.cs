using Hephaestus.Data.Seeding;
using Hephaestus.Testing;

namespace Hephaestus.Data.Tests.Seeding;

/// <summary>Seeding adds to what is there: the same seed again adds nothing, another seed adds other people.</summary>
public sealed class LearnerSeederTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    const string SeededUsers = "SELECT count(*) FROM hephaestus.users WHERE email LIKE '%@seed.hephaestus.test'";
    const string SeededMembers = "SELECT count(*) FROM hephaestus.cohort_members m JOIN hephaestus.users u ON u.id = m.user_id WHERE u.email LIKE '%@seed.hephaestus.test'";

    [Fact]
    public async Task A_second_seed_adds_its_own_learners_and_the_same_seed_again_adds_nothing()
    {
        var ct = TestContext.Current.CancellationToken;
        var first = await LearnerSeeder.SeedAsync(db.Owner, new SeedOptions(Learners: 50, CohortSize: 20, Seed: 1, BatchSize: 40), null, ct);
        Assert.Equal(3, first.Cohorts);
        var afterFirst = await db.ScalarAsync<long>(SeededUsers);
        Assert.Equal(50 + 3, afterFirst);

        await LearnerSeeder.SeedAsync(db.Owner, new SeedOptions(Learners: 50, CohortSize: 20, Seed: 2, BatchSize: 40), null, ct);
        Assert.Equal(2 * afterFirst, await db.ScalarAsync<long>(SeededUsers));
        Assert.Equal(2 * afterFirst, await db.ScalarAsync<long>(SeededMembers));

        await LearnerSeeder.SeedAsync(db.Owner, new SeedOptions(Learners: 50, CohortSize: 20, Seed: 1, BatchSize: 40), null, ct);
        Assert.Equal(2 * afterFirst, await db.ScalarAsync<long>(SeededUsers));
    }
}
