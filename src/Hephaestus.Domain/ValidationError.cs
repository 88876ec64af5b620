namespace Hephaestus.Domain; public sealed record ValidationError(string Path, string Message);
