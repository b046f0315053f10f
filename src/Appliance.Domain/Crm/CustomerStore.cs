using Appliance.Domain.Common;
using Appliance.Platform;
using Npgsql;

namespace Appliance.Domain.Crm;

public sealed record CustomerFilter(string? Search, bool? IsActive);

/// <summary>Customers in PostgreSQL: parameterised SQL and an explicit row mapper.</summary>
public sealed class CustomerStore(NpgsqlDataSource dataSource)
{
    public static readonly IReadOnlyDictionary<string, string> SortColumns = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["name"] = "lower(name)",
        ["customer_number"] = "customer_number",
        ["created_at"] = "created_at",
        ["updated_at"] = "updated_at",
    };

    public static readonly IReadOnlyList<SortField> DefaultSort = [new("name", false)];

    private const string Columns = "id, customer_number, name, vat_id, language, notes, is_active, created_at, updated_at";

    public async Task<Paged<Customer>> ListAsync(CustomerFilter filter, IReadOnlyList<SortField> sort, PageRequest page, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        const string fromWhere = """
            FROM customers
             WHERE deleted_at IS NULL
               AND (@search::text IS NULL OR name ILIKE '%' || @search || '%' OR customer_number ILIKE @search || '%')
               AND (@active::boolean IS NULL OR is_active = @active)
            """;
        return await PagedQuery.ReadAsync(
            dataSource,
            Columns,
            fromWhere,
            SqlSort.OrderBy(sort, SortColumns, "id"),
            parameters =>
            {
                parameters.Add(new NpgsqlParameter<string?>("search", NpgsqlTypes.NpgsqlDbType.Text) { TypedValue = SqlLike.Escape(filter.Search) });
                parameters.Add(new NpgsqlParameter<bool?>("active", NpgsqlTypes.NpgsqlDbType.Boolean) { TypedValue = filter.IsActive });
            },
            page,
            Map,
            cancellationToken);
    }

    public async Task<Customer?> GetAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT {Columns} FROM customers WHERE id = @id AND deleted_at IS NULL");
        command.Parameters.Add(new NpgsqlParameter<Guid>("id", id));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Map(reader) : null;
    }

    public async Task<Customer> CreateAsync(NewCustomer customer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(customer);
        await using var command = dataSource.CreateCommand($"""
            INSERT INTO customers (customer_number, name, vat_id, language, notes)
            VALUES (@number, @name, @vat, @language, @notes)
            RETURNING {Columns}
            """);
        command.Parameters.Add(new NpgsqlParameter<string>("number", customer.CustomerNumber));
        command.Parameters.Add(new NpgsqlParameter<string>("name", customer.Name));
        command.Parameters.Add(new NpgsqlParameter<string?>("vat", NpgsqlTypes.NpgsqlDbType.Text) { TypedValue = customer.VatId });
        command.Parameters.Add(new NpgsqlParameter<string>("language", customer.Language));
        command.Parameters.Add(new NpgsqlParameter<string?>("notes", NpgsqlTypes.NpgsqlDbType.Text) { TypedValue = customer.Notes });
        try
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            return Map(reader);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            var field = ex.ConstraintName == "customers_name_unique" ? "name" : "customer_number";
            throw new DomainConflictException(
                "A customer with this " + (field == "name" ? "name" : "number") + " already exists",
                [new FieldError(field, field == "name" ? $"'{customer.Name}' is already used by another customer" : $"'{customer.CustomerNumber}' is already used by another customer")]);
        }
    }

    private static Customer Map(NpgsqlDataReader reader) => new(
        reader.GetGuid(0),
        reader.GetString(1),
        reader.GetString(2),
        reader.IsDBNull(3) ? null : reader.GetString(3),
        reader.GetString(4),
        reader.IsDBNull(5) ? null : reader.GetString(5),
        reader.GetBoolean(6),
        reader.GetFieldValue<DateTimeOffset>(7),
        reader.GetFieldValue<DateTimeOffset>(8));
}
