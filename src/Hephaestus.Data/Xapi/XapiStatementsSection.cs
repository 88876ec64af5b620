namespace Hephaestus.Data.Xapi;

/// <summary>
/// The xAPI Statements about the user in their personal data export, oldest first: each as stored (the exact text the
/// LRS accepted, parsed), with whether it was voided and its attachments' headers.
/// </summary>
public sealed class XapiStatementsSection() : JsonSection("xapiStatements", """
    SELECT coalesce(json_agg(json_build_object('id', s.statement_id, 'stored', s.stored, 'statement', s.statement::json,
        'voided', s.voids IS NULL AND EXISTS (SELECT 1 FROM hephaestus.xapi_voided v WHERE v.statement_id = s.statement_id),
        'attachments', (SELECT coalesce(json_agg(json_build_object('sha2', a.sha2, 'contentType', a.content_type, 'length', a.length) ORDER BY a.position), '[]')
                        FROM hephaestus.xapi_attachments a WHERE a.statement_id = s.statement_id))
        ORDER BY s.stored, s.statement_id), '[]')
    FROM hephaestus.xapi_statements s WHERE s.learner_id = $1
    """);
