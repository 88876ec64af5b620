using Microsoft.EntityFrameworkCore.Design;

namespace Hephaestus.Data;

/// <summary>Lets EF Core's design-time tooling (migration scaffolding) build the model without a running database.</summary>
internal sealed class DesignTimeContextFactory : IDesignTimeDbContextFactory<HephaestusDbContext>
{
    public HephaestusDbContext CreateDbContext(string[] args) =>
        HephaestusDatabase.CreateContext(HephaestusDatabase.CreateDataSource("Host=127.0.0.1;Database=design_time"));
}
