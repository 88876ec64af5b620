namespace Hephaestus.Domain.Tests;

public class BuildPolicyTests
{
    [Fact]
    public void Domain_references_no_other_hephaestus_assembly()
    {
        var references = typeof(Hephaestus.Domain.DomainAssembly).Assembly.GetReferencedAssemblies();
        Assert.DoesNotContain(references, r => r.Name!.StartsWith("Hephaestus.", StringComparison.Ordinal));
        Assert.DoesNotContain(references, r => r.Name!.StartsWith("Npgsql", StringComparison.Ordinal));
    }
}
