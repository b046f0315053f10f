using System.Text.Json.Serialization.Metadata;
using Appliance.Domain.Common;
using Appliance.Domain.Events;
using Appliance.Platform;
using Npgsql;
using NpgsqlTypes;

namespace Appliance.Domain.Crm;

public sealed record SiteFilter(Guid? CustomerId, string? Search, string? Country);

/// <summary>Sites in PostgreSQL; a site's name is unique among its customer's live sites.</summary>
public sealed class SiteStore(NpgsqlDataSource dataSource) : CustomerChildStore<Site, SiteData>(dataSource)
{
    public static readonly IReadOnlyDictionary<string, string> SortColumns = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["name"] = "lower(name)",
        ["city"] = "lower(city)",
        ["created_at"] = "created_at",
        ["updated_at"] = "updated_at",
    };

    public static readonly IReadOnlyList<SortField> DefaultSort = [new("name", false)];

    private const string ColumnList = "id, customer_id, name, street, postal_code, city, country, notes, version, created_at, updated_at";

    protected override string EntityType => "site";

    protected override string Table => "sites";

    protected override string Columns => ColumnList;

    protected override string EmbeddedOrder => "lower(name), id";

    protected override JsonTypeInfo<Site> TypeInfo => DomainJsonContext.Default.Site;

    protected override string InsertSql => $"""
        INSERT INTO sites (customer_id, name, street, postal_code, city, country, notes)
        VALUES (@parent, @name, @street, @postal_code, @city, @country, @notes)
        RETURNING {ColumnList}
        """;

    protected override string UpdateSet => "name = @name, street = @street, postal_code = @postal_code, city = @city, country = @country, notes = @notes";

    public Task<Paged<Site>> ListAsync(SiteFilter filter, IReadOnlyList<SortField> sort, PageRequest page, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        return ListOfCustomerAsync(
            filter.CustomerId,
            filter.Search,
            "(name ILIKE '%' || @search || '%' OR city ILIKE '%' || @search || '%')",
            "(@country::text IS NULL OR country = @country)",
            p => p.Add(new NpgsqlParameter<string?>("country", NpgsqlDbType.Text) { TypedValue = filter.Country }),
            sort,
            SortColumns,
            page,
            cancellationToken);
    }

    protected override void Bind(NpgsqlParameterCollection parameters, SiteData data)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(data);
        parameters.Add(new NpgsqlParameter<string>("name", data.Name));
        AddressParameters.Bind(parameters, data.Address);
        parameters.Add(new NpgsqlParameter<string?>("notes", NpgsqlDbType.Text) { TypedValue = data.Notes });
    }

    protected override SiteData DataOf(Site entity) => SiteRules.DataOf(entity);

    protected override async Task<DomainConflictException?> FindDuplicatesAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, SiteData data, Guid? self, Guid? parent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(data);
        await using var command = new NpgsqlCommand(
            "SELECT id FROM sites WHERE customer_id = @parent AND lower(name) = lower(@name) AND deleted_at IS NULL AND (@self::uuid IS NULL OR id <> @self) LIMIT 1",
            connection,
            transaction);
        command.Parameters.Add(new NpgsqlParameter<Guid?>("parent", NpgsqlDbType.Uuid) { TypedValue = parent });
        command.Parameters.Add(new NpgsqlParameter<string>("name", data.Name));
        command.Parameters.Add(new NpgsqlParameter<Guid?>("self", NpgsqlDbType.Uuid) { TypedValue = self });
        return await command.ExecuteScalarAsync(cancellationToken) is Guid existing
            ? new DomainConflictException("This customer already has a site with this name", [new FieldError("name", $"'{data.Name}' is already a site of this customer", existing)])
            : null;
    }

    protected override Site Map(NpgsqlDataReader reader) => new(
        reader.GetGuid(0),
        reader.GetGuid(1),
        reader.GetString(2),
        reader.IsDBNull(3) ? null : reader.GetString(3),
        reader.IsDBNull(4) ? null : reader.GetString(4),
        reader.IsDBNull(5) ? null : reader.GetString(5),
        reader.GetString(6),
        reader.IsDBNull(7) ? null : reader.GetString(7),
        reader.GetInt32(8),
        reader.GetFieldValue<DateTimeOffset>(9),
        reader.GetFieldValue<DateTimeOffset>(10));
}
