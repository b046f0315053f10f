using System.Text.Json.Serialization.Metadata;
using Appliance.Domain.Audit;
using Appliance.Domain.Common;
using Appliance.Domain.Events;
using Appliance.Domain.Identity;
using Appliance.Platform;
using Npgsql;
using NpgsqlTypes;

namespace Appliance.Domain.Crm;

public sealed record CustomerFilter(string? Search, bool? IsActive, string? Language = null, DateTimeOffset? CreatedAfter = null, DateTimeOffset? CreatedBefore = null);

/// <summary>Customers in PostgreSQL: parameterised SQL, an explicit row mapper, soft delete, row versions.</summary>
public sealed class CustomerStore(NpgsqlDataSource dataSource, ContactStore contacts, SiteStore sites)
    : VersionedStore<Customer, CustomerData>(dataSource)
{
    public static readonly IReadOnlyDictionary<string, string> SortColumns = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["name"] = "lower(name)",
        ["customer_number"] = "customer_number",
        ["created_at"] = "created_at",
        ["updated_at"] = "updated_at",
    };

    public static readonly IReadOnlyList<SortField> DefaultSort = [new("name", false)];

    private const string ColumnList = "id, customer_number, name, vat_id, language, notes, is_active, street, postal_code, city, country, version, created_at, updated_at";

    protected override string EntityType => "customer";

    protected override string Table => "customers";

    protected override string Columns => ColumnList;

    protected override JsonTypeInfo<Customer> TypeInfo => DomainJsonContext.Default.Customer;

    protected override string InsertSql => $"""
        INSERT INTO customers (customer_number, name, vat_id, language, notes, is_active, street, postal_code, city, country)
        VALUES (coalesce(@number, next_customer_number()), @name, @vat, @language, @notes, @active, @street, @postal_code, @city, @country)
        RETURNING {ColumnList}
        """;

    protected override string UpdateSet => """
        customer_number = @number, name = @name, vat_id = @vat, language = @language, notes = @notes, is_active = @active,
        street = @street, postal_code = @postal_code, city = @city, country = @country
        """;

    public Task<Paged<Customer>> ListAsync(CustomerFilter filter, IReadOnlyList<SortField> sort, PageRequest page, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        // Name matches anywhere, the number from its start; both served by the trigram indexes.
        return ListWhereAsync(
            """
            (@search::text IS NULL OR name ILIKE '%' || @search || '%' OR customer_number ILIKE @search || '%')
            AND (@active::boolean IS NULL OR is_active = @active)
            AND (@language::text IS NULL OR language = @language)
            AND (@created_after::timestamptz IS NULL OR created_at >= @created_after)
            AND (@created_before::timestamptz IS NULL OR created_at < @created_before)
            """,
            parameters =>
            {
                parameters.Add(new NpgsqlParameter<string?>("search", NpgsqlDbType.Text) { TypedValue = SqlLike.Escape(filter.Search) });
                parameters.Add(new NpgsqlParameter<bool?>("active", NpgsqlDbType.Boolean) { TypedValue = filter.IsActive });
                parameters.Add(new NpgsqlParameter<string?>("language", NpgsqlDbType.Text) { TypedValue = filter.Language });
                parameters.Add(new NpgsqlParameter<DateTimeOffset?>("created_after", NpgsqlDbType.TimestampTz) { TypedValue = filter.CreatedAfter });
                parameters.Add(new NpgsqlParameter<DateTimeOffset?>("created_before", NpgsqlDbType.TimestampTz) { TypedValue = filter.CreatedBefore });
            },
            sort,
            SortColumns,
            page,
            cancellationToken);
    }

    public Task<WriteOutcome<Customer>> CreateAsync(CustomerData customer, Principal principal, CancellationToken cancellationToken) =>
        CreateCoreAsync(null, customer, principal, cancellationToken);

    /// <summary>
    /// Takes a share lock on a live customer, so it cannot be deleted while a contact or site is added to it;
    /// throws <see cref="DomainNotFoundException"/> when there is none.
    /// </summary>
    internal static async Task LockLiveAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid id, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT 1 FROM customers WHERE id = @id AND deleted_at IS NULL FOR SHARE", connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<Guid>("id", id));
        if (await command.ExecuteScalarAsync(cancellationToken) is null)
        {
            throw new DomainNotFoundException("Customer");
        }
    }

    protected override Customer Map(NpgsqlDataReader reader) => new(
        reader.GetGuid(0),
        reader.GetString(1),
        reader.GetString(2),
        reader.IsDBNull(3) ? null : reader.GetString(3),
        reader.GetString(4),
        reader.IsDBNull(5) ? null : reader.GetString(5),
        reader.GetBoolean(6),
        reader.IsDBNull(7) ? null : reader.GetString(7),
        reader.IsDBNull(8) ? null : reader.GetString(8),
        reader.IsDBNull(9) ? null : reader.GetString(9),
        reader.GetString(10),
        reader.GetInt32(11),
        reader.GetFieldValue<DateTimeOffset>(12),
        reader.GetFieldValue<DateTimeOffset>(13));

    protected override void Bind(NpgsqlParameterCollection parameters, CustomerData data)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(data);
        parameters.Add(new NpgsqlParameter<string?>("number", NpgsqlDbType.Text) { TypedValue = data.CustomerNumber });
        parameters.Add(new NpgsqlParameter<string>("name", data.Name));
        parameters.Add(new NpgsqlParameter<string?>("vat", NpgsqlDbType.Text) { TypedValue = data.VatId });
        parameters.Add(new NpgsqlParameter<string>("language", data.Language));
        parameters.Add(new NpgsqlParameter<string?>("notes", NpgsqlDbType.Text) { TypedValue = data.Notes });
        parameters.Add(new NpgsqlParameter<bool>("active", data.IsActive));
        AddressParameters.Bind(parameters, data.Address);
    }

    protected override CustomerData DataOf(Customer entity) => CustomerRules.DataOf(entity);

    protected override async Task<DomainConflictException?> FindDuplicatesAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, CustomerData data, Guid? self, Guid? parent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(data);
        // Names are unique among live customers (case-insensitive); numbers are never reused, not even a deleted one's.
        await using var command = new NpgsqlCommand(
            """
            SELECT 'name', id, true FROM customers
             WHERE lower(name) = lower(@name) AND deleted_at IS NULL AND (@self::uuid IS NULL OR id <> @self)
            UNION ALL
            SELECT 'customer_number', id, deleted_at IS NULL FROM customers
             WHERE customer_number = @number AND (@self::uuid IS NULL OR id <> @self)
            """,
            connection,
            transaction);
        command.Parameters.Add(new NpgsqlParameter<string>("name", data.Name));
        command.Parameters.Add(new NpgsqlParameter<string?>("number", NpgsqlDbType.Text) { TypedValue = data.CustomerNumber });
        command.Parameters.Add(new NpgsqlParameter<Guid?>("self", NpgsqlDbType.Uuid) { TypedValue = self });
        var errors = new List<FieldError>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var live = reader.GetBoolean(2);
                errors.Add(reader.GetString(0) == "name"
                    ? new FieldError("name", $"'{data.Name}' is already used by another customer", reader.GetGuid(1))
                    : new FieldError("customer_number", live ? $"'{data.CustomerNumber}' is already used by another customer" : $"'{data.CustomerNumber}' belonged to a deleted customer; numbers are not reused", live ? reader.GetGuid(1) : null));
            }
        }

        return errors.Count == 0
            ? null
            : new DomainConflictException(errors[0].Field == "name" ? "A customer with this name already exists" : "A customer with this number already exists", errors);
    }

    /// <summary>A customer with open tickets or active portal users stays: deleting it would orphan live work.</summary>
    protected override async Task BeforeDeleteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Customer entity, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entity);
        await using var command = new NpgsqlCommand(
            """
            SELECT (SELECT count(*) FROM tickets WHERE customer_id = @id AND deleted_at IS NULL AND status NOT IN ('resolved', 'closed')),
                   (SELECT count(*) FROM users WHERE customer_id = @id AND is_active)
            """,
            connection,
            transaction);
        command.Parameters.Add(new NpgsqlParameter<Guid>("id", entity.Id));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var (openTickets, activeUsers) = (reader.GetInt64(0), reader.GetInt64(1));
        var errors = new List<FieldError>();
        if (openTickets > 0)
        {
            errors.Add(new FieldError("tickets", $"{openTickets} open ticket(s); resolve or close them first"));
        }

        if (activeUsers > 0)
        {
            errors.Add(new FieldError("users", $"{activeUsers} active portal user(s); deactivate them first"));
        }

        if (errors.Count > 0)
        {
            throw new DomainConflictException("The customer still has open tickets or active users", errors, isDuplicate: false);
        }
    }

    /// <summary>A deleted customer's contacts and sites go with it (each audited), which frees their email addresses.</summary>
    protected override async Task AfterDeleteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Customer entity, AuditContext audit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entity);
        await contacts.DeleteAllOfCustomerAsync(connection, transaction, entity.Id, audit, cancellationToken);
        await sites.DeleteAllOfCustomerAsync(connection, transaction, entity.Id, audit, cancellationToken);
    }
}

/// <summary>The address parameters customers and sites share.</summary>
internal static class AddressParameters
{
    public static void Bind(NpgsqlParameterCollection parameters, PostalAddress address)
    {
        parameters.Add(new NpgsqlParameter<string?>("street", NpgsqlDbType.Text) { TypedValue = address.Street });
        parameters.Add(new NpgsqlParameter<string?>("postal_code", NpgsqlDbType.Text) { TypedValue = address.PostalCode });
        parameters.Add(new NpgsqlParameter<string?>("city", NpgsqlDbType.Text) { TypedValue = address.City });
        parameters.Add(new NpgsqlParameter<string>("country", address.Country));
    }
}
