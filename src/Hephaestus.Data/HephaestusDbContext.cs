using Hephaestus.Domain.Identity;
using Microsoft.EntityFrameworkCore;

namespace Hephaestus.Data;

/// <summary>
/// The EF Core model: the one ordered history of the schema (migrations) and the home of the non-hot queries.
/// Hot paths use raw Npgsql on the same <see cref="Npgsql.NpgsqlDataSource"/>.
/// </summary>
public sealed class HephaestusDbContext(DbContextOptions<HephaestusDbContext> options) : DbContext(options)
{
    /// <summary>Everything Hephaestus owns lives in this schema, away from `public` (which Supabase, for one, exposes).</summary>
    public const string Schema = "hephaestus";

    public DbSet<User> Users => Set<User>();
    public DbSet<Cohort> Cohorts => Set<Cohort>();
    public DbSet<CohortMember> CohortMembers => Set<CohortMember>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.HasDefaultSchema(Schema);
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(HephaestusDbContext).Assembly);
    }
}
