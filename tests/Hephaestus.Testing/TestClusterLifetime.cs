namespace Hephaestus.Testing;

/// <summary>
/// An assembly fixture (each test project declares <c>[assembly: AssemblyFixture(typeof(TestClusterLifetime))]</c>): when
/// the project's tests are done, the throwaway cluster is stopped and deleted while the test framework still waits for it,
/// not in ProcessExit (see <see cref="TestCluster.StopIfStartedAsync"/>). The test run's PgBouncer, which stands in front of
/// the cluster, is stopped first.
/// </summary>
public sealed class TestClusterLifetime : IAsyncDisposable
{
    public async ValueTask DisposeAsync()
    {
        await TestPgBouncer.StopIfStartedAsync();
        await TestCluster.StopIfStartedAsync();
    }
}
