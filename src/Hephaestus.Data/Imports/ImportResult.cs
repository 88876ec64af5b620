using Hephaestus.Domain;

namespace Hephaestus.Data.Imports;

/// <summary>What an import did to one kind of row.</summary>
public sealed record ImportCounts(int Created, int Updated, int Unchanged, int Deleted);

public enum ImportOutcome
{
    Imported,

    /// <summary>Lines are bad (<see cref="ImportResult.Errors"/>, each keyed by file, line and field); nothing was written.</summary>
    Invalid,

    /// <summary>
    /// A user or item made outside the import took an email, subject or code the import was about to write, between its
    /// checks and its writes; nothing was written, and the import can be retried.
    /// </summary>
    Conflict,
}

/// <summary>
/// The end of an import: the counts per kind of row (users, cohorts, memberships; items), or every bad line. Error paths
/// are dotted (<c>users.lines[17].email</c>, <c>lines[3].definition/options/1</c>): the edge turns them into JSON pointers.
/// </summary>
public sealed record ImportResult(ImportOutcome Outcome, int Lines, IReadOnlyDictionary<string, ImportCounts>? Counts = null,
    IReadOnlyList<ValidationError>? Errors = null, Guid? ImportId = null)
{
    public static ImportResult Invalid(int lines, IReadOnlyList<ValidationError> errors) => new(ImportOutcome.Invalid, lines, Errors: errors);
}

/// <summary>Tallies of one kind of row while an import decides what to write.</summary>
internal sealed class Tally
{
    public int Created { get; set; }
    public int Updated { get; set; }
    public int Unchanged { get; set; }
    public int Deleted { get; set; }

    public ImportCounts ToCounts() => new(Created, Updated, Unchanged, Deleted);
}
