using System.Text.RegularExpressions;
using Hephaestus.Domain;
using Hephaestus.Domain.Content;
using Hephaestus.Testing;

namespace Hephaestus.Data.Tests.Migrations;

/// <summary>
/// An enum whose wire names a CHECK constraint also lists must list the same names: the edge validates against the enum,
/// the database against the constraint, and a name in one but not the other is a 400 that should be a 201, or a 500.
/// </summary>
public sealed partial class EnumConstraintTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    [Theory]
    [InlineData("ck_content_items_kind", typeof(ContentKind))]
    [InlineData("ck_content_versions_status", typeof(ContentStatus))]
    public async Task The_check_constraint_lists_exactly_the_enums_wire_names(string constraint, Type enumType)
    {
        await using var command = db.Owner.CreateCommand("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = $1");
        command.Parameters.AddWithValue(constraint);
        var definition = (string?)await command.ExecuteScalarAsync() ?? throw new InvalidOperationException($"no constraint {constraint}");
        var listed = QuotedLiteral().Matches(definition).Select(m => m.Groups[1].Value).ToArray();
        var names = (IReadOnlyList<string>)typeof(WireNames<>).MakeGenericType(enumType).GetProperty("All")!.GetValue(null)!;
        Assert.Equal(names.Order(StringComparer.Ordinal), listed.Order(StringComparer.Ordinal));
    }

    [GeneratedRegex("'([a-z_]+)'::text")]
    private static partial Regex QuotedLiteral();
}
