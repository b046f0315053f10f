using System.Text.Json.Serialization.Metadata;
using Appliance.Domain.Audit;
using Appliance.Domain.Common;
using Appliance.Domain.Events;
using Appliance.Platform;
using Npgsql;
using NpgsqlTypes;

namespace Appliance.Domain.Crm;

public sealed record ContactFilter(Guid? CustomerId, string? Search, bool? IsPrimary);

/// <summary>Contacts in PostgreSQL. One primary contact per customer: making one primary clears the other (audited).</summary>
public sealed class ContactStore(NpgsqlDataSource dataSource) : CustomerChildStore<Contact, ContactData>(dataSource)
{
    public static readonly IReadOnlyDictionary<string, string> SortColumns = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["last_name"] = "lower(last_name)",
        ["first_name"] = "lower(first_name)",
        ["email"] = "email",
        ["created_at"] = "created_at",
        ["updated_at"] = "updated_at",
    };

    public static readonly IReadOnlyList<SortField> DefaultSort = [new("last_name", false), new("first_name", false)];

    private const string ColumnList = "id, customer_id, first_name, last_name, email, phone, mobile, role, is_primary, notes, version, created_at, updated_at";

    protected override string EntityType => "contact";

    protected override string Table => "contacts";

    protected override string Columns => ColumnList;

    protected override string EmbeddedOrder => "is_primary DESC, lower(last_name), lower(first_name), id";

    protected override JsonTypeInfo<Contact> TypeInfo => DomainJsonContext.Default.Contact;

    protected override string InsertSql => $"""
        INSERT INTO contacts (customer_id, first_name, last_name, email, phone, mobile, role, is_primary, notes)
        VALUES (@parent, @first_name, @last_name, @email, @phone, @mobile, @role, @primary, @notes)
        RETURNING {ColumnList}
        """;

    protected override string UpdateSet => """
        first_name = @first_name, last_name = @last_name, email = @email, phone = @phone, mobile = @mobile, role = @role,
        is_primary = @primary, notes = @notes
        """;

    public Task<Paged<Contact>> ListAsync(ContactFilter filter, IReadOnlyList<SortField> sort, PageRequest page, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        return ListOfCustomerAsync(
            filter.CustomerId,
            filter.Search,
            "search_text ILIKE '%' || @search || '%'",
            "(@primary::boolean IS NULL OR is_primary = @primary)",
            p => p.Add(new NpgsqlParameter<bool?>("primary", NpgsqlDbType.Boolean) { TypedValue = filter.IsPrimary }),
            sort,
            SortColumns,
            page,
            cancellationToken);
    }

    protected override void Bind(NpgsqlParameterCollection parameters, ContactData data)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(data);
        parameters.Add(new NpgsqlParameter<string?>("first_name", NpgsqlDbType.Text) { TypedValue = data.FirstName });
        parameters.Add(new NpgsqlParameter<string>("last_name", data.LastName));
        parameters.Add(new NpgsqlParameter<string?>("email", NpgsqlDbType.Text) { TypedValue = data.Email });
        parameters.Add(new NpgsqlParameter<string?>("phone", NpgsqlDbType.Text) { TypedValue = data.Phone });
        parameters.Add(new NpgsqlParameter<string?>("mobile", NpgsqlDbType.Text) { TypedValue = data.Mobile });
        parameters.Add(new NpgsqlParameter<string?>("role", NpgsqlDbType.Text) { TypedValue = data.Role });
        parameters.Add(new NpgsqlParameter<bool>("primary", data.IsPrimary));
        parameters.Add(new NpgsqlParameter<string?>("notes", NpgsqlDbType.Text) { TypedValue = data.Notes });
    }

    protected override ContactData DataOf(Contact entity) => ContactRules.DataOf(entity);

    /// <summary>Email addresses are unique among all live contacts, whatever the customer (case-insensitive).</summary>
    protected override async Task<DomainConflictException?> FindDuplicatesAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, ContactData data, Guid? self, Guid? parent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.Email is null)
        {
            return null;
        }

        await using var command = new NpgsqlCommand(
            "SELECT id FROM contacts WHERE lower(email) = lower(@email) AND deleted_at IS NULL AND (@self::uuid IS NULL OR id <> @self) LIMIT 1",
            connection,
            transaction);
        command.Parameters.Add(new NpgsqlParameter<string>("email", data.Email));
        command.Parameters.Add(new NpgsqlParameter<Guid?>("self", NpgsqlDbType.Uuid) { TypedValue = self });
        return await command.ExecuteScalarAsync(cancellationToken) is Guid existing
            ? new DomainConflictException("A contact with this email already exists", [new FieldError("email", $"'{data.Email}' is already used by another contact", existing)])
            : null;
    }

    protected override Task BeforeWriteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, ContactData data, Guid? self, Guid? parent, AuditContext audit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (!data.IsPrimary || parent is not { } customerId)
        {
            return Task.CompletedTask;
        }

        return UpdateWhereAsync(
            connection,
            transaction,
            "customer_id = @customer AND is_primary AND (@self::uuid IS NULL OR id <> @self)",
            "is_primary = false",
            p =>
            {
                p.Add(new NpgsqlParameter<Guid>("customer", customerId));
                p.Add(new NpgsqlParameter<Guid?>("self", NpgsqlDbType.Uuid) { TypedValue = self });
            },
            audit,
            cancellationToken);
    }

    protected override Contact Map(NpgsqlDataReader reader) => new(
        reader.GetGuid(0),
        reader.GetGuid(1),
        reader.IsDBNull(2) ? null : reader.GetString(2),
        reader.GetString(3),
        reader.IsDBNull(4) ? null : reader.GetString(4),
        reader.IsDBNull(5) ? null : reader.GetString(5),
        reader.IsDBNull(6) ? null : reader.GetString(6),
        reader.IsDBNull(7) ? null : reader.GetString(7),
        reader.GetBoolean(8),
        reader.IsDBNull(9) ? null : reader.GetString(9),
        reader.GetInt32(10),
        reader.GetFieldValue<DateTimeOffset>(11),
        reader.GetFieldValue<DateTimeOffset>(12));
}
