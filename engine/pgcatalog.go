package engine

import (
	"hash/fnv"
	"sort"
	"strings"
	"sync"

	"github.com/tocsin-db/tocsin/sql/ast"
	"github.com/tocsin-db/tocsin/sql/catalog"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
	"github.com/tocsin-db/tocsin/sql/types"
)

// The Postgres system catalogs (pg_catalog.*) and the information_schema
// views, filled from the live catalog, so that psql's meta-commands and
// drivers' metadata calls work. They are system relations (KindSystem)
// that live outside the user catalog: pgResolver finds them by schema,
// and SystemRows computes their rows on each read (pgcatalog_rows.go).
//
// Modelling decisions:
//   - Namespaces: pg_catalog (11), public (2200), information_schema
//     (13000). Every user object lives in public.
//   - pg_class.relkind: sources 'f' (foreign table: rows come from
//     outside, like a foreign table's), tables 'r', materialized views
//     'm', engine system relations (tocsin_checkpoints, <src>_errors,
//     ...) 'v' (read-only computed relations), the catalogs themselves
//     'r' (pg_catalog tables) or 'v' (pg_roles, pg_tables, the
//     information_schema views). Sinks are not relations.
//   - OIDs: a user object's oid is its catalog ID; catalogs use
//     PostgreSQL's own oids where it has them.
//   - Roles: one superuser "tocsin" (oid 10) owns everything; every user
//     name with an open session is also a superuser role.
//   - Array-valued columns (reloptions, datacl, ...) are text in
//     array-literal form, and int2vector / oidvector columns (indkey,
//     conkey, proargtypes, ...) text in PostgreSQL's vector form ('1 2',
//     subscripts from 0): clients receive PostgreSQL's text. The array
//     functions read both forms (functions/scalar/pgarray_text.go, and
//     sql/binder/pgcompat.go, srf.go).
//   - Relations Tocsin does not model (indexes, constraints, triggers,
//     policies, publications, inheritance, rules, ...) are empty with
//     PostgreSQL's columns.
const (
	nspPgCatalog = 11
	nspPublic    = 2200
	nspInfo      = 13000

	superuserOID = 10
	superuser    = "tocsin"
	databaseOID  = 16383
	databaseName = "tocsin"
)

// pgSystemPrefix marks the System field of a catalog relation.
const pgSystemPrefix = "pg:"

// pgRel declares one catalog relation: its schema, name, oid, whether it
// is a view, and its columns as "name type[=default], ...". A default
// fills the column on rows that do not set it (booleans are mostly
// false, "char" flags have PostgreSQL's usual value).
type pgRel struct {
	schema, name string
	oid          uint32
	view         bool
	cols         string
}

var pgRelDecls = []pgRel{
	{"pg_catalog", "pg_namespace", 2615, false, "oid oid, nspname name, nspowner oid=10, nspacl text"},
	{"pg_catalog", "pg_class", 1259, false, "oid oid, relname name, relnamespace oid=2200, reltype oid=0, reloftype oid=0, relowner oid=10, relam oid=0, relfilenode oid=0, reltablespace oid=0, relpages int4=0, reltuples float4=-1, relallvisible int4=0, reltoastrelid oid=0, relhasindex bool=f, relisshared bool=f, relpersistence char=p, relkind char, relnatts int2=0, relchecks int2=0, relhasrules bool=f, relhastriggers bool=f, relhassubclass bool=f, relrowsecurity bool=f, relforcerowsecurity bool=f, relispopulated bool=t, relreplident char=d, relispartition bool=f, relrewrite oid=0, relacl text, reloptions text, relpartbound text"},
	{"pg_catalog", "pg_attribute", 1249, false, "attrelid oid, attname name, atttypid oid, attstattarget int4=-1, attlen int2, attnum int2, attndims int4=0, attcacheoff int4=-1, atttypmod int4=-1, attbyval bool=f, attalign char=i, attstorage char=p, attcompression char=, attnotnull bool=f, atthasdef bool=f, atthasmissing bool=f, attidentity char=, attgenerated char=, attisdropped bool=f, attislocal bool=t, attinhcount int4=0, attcollation oid=0, attacl text, attoptions text, attfdwoptions text, attmissingval text"},
	{"pg_catalog", "pg_type", 1247, false, "oid oid, typname name, typnamespace oid=11, typowner oid=10, typlen int2, typbyval bool=f, typtype char=b, typcategory char, typispreferred bool=f, typisdefined bool=t, typdelim char=,, typrelid oid=0, typsubscript text=-, typelem oid=0, typarray oid=0, typinput text, typoutput text, typreceive text, typsend text, typmodin text=-, typmodout text=-, typanalyze text=-, typalign char=i, typstorage char=p, typnotnull bool=f, typbasetype oid=0, typtypmod int4=-1, typndims int4=0, typcollation oid=0, typdefaultbin text, typdefault text, typacl text"},
	{"pg_catalog", "pg_proc", 1255, false, "oid oid, proname name, pronamespace oid, proowner oid=10, prolang oid=12, procost float4=1, prorows float4=0, provariadic oid=0, prosupport text=-, prokind char=f, prosecdef bool=f, proleakproof bool=f, proisstrict bool=t, proretset bool=f, provolatile char=i, proparallel char=s, pronargs int2, pronargdefaults int2=0, prorettype oid, proargtypes text, proallargtypes text, proargmodes text, proargnames text, proargdefaults text, protrftypes text, prosrc text, probin text, prosqlbody text, proconfig text, proacl text"},
	{"pg_catalog", "pg_database", 1262, false, "oid oid, datname name, datdba oid=10, encoding int4=6, datlocprovider char=c, datistemplate bool=f, datallowconn bool=t, datconnlimit int4=-1, datfrozenxid text, datminmxid text, dattablespace oid=1663, datcollate text=C.UTF-8, datctype text=C.UTF-8, daticulocale text, datcollversion text, datacl text"},
	{"pg_catalog", "pg_authid", 1260, false, "oid oid, rolname name, rolsuper bool=t, rolinherit bool=t, rolcreaterole bool=t, rolcreatedb bool=t, rolcanlogin bool=t, rolreplication bool=t, rolbypassrls bool=t, rolconnlimit int4=-1, rolpassword text, rolvaliduntil timestamptz"},
	{"pg_catalog", "pg_roles", 12001, true, "rolname name, rolsuper bool=t, rolinherit bool=t, rolcreaterole bool=t, rolcreatedb bool=t, rolcanlogin bool=t, rolreplication bool=t, rolconnlimit int4=-1, rolpassword text=********, rolvaliduntil timestamptz, rolbypassrls bool=t, rolconfig text, oid oid"},
	{"pg_catalog", "pg_user", 12002, true, "usename name, usesysid oid, usecreatedb bool=t, usesuper bool=t, userepl bool=t, usebypassrls bool=t, passwd text=********, valuntil timestamptz, useconfig text"},
	{"pg_catalog", "pg_auth_members", 1261, false, "roleid oid, member oid, grantor oid, admin_option bool=f"},
	{"pg_catalog", "pg_description", 2609, false, "objoid oid, classoid oid, objsubid int4=0, description text"},
	{"pg_catalog", "pg_shdescription", 2396, false, "objoid oid, classoid oid, description text"},
	{"pg_catalog", "pg_am", 2601, false, "oid oid, amname name, amhandler text, amtype char"},
	{"pg_catalog", "pg_index", 2610, false, "indexrelid oid, indrelid oid, indnatts int2, indnkeyatts int2, indisunique bool, indnullsnotdistinct bool, indisprimary bool, indisexclusion bool, indimmediate bool, indisclustered bool, indisvalid bool, indcheckxmin bool, indisready bool, indislive bool, indisreplident bool, indkey text, indcollation text, indclass text, indoption text, indexprs text, indpred text"},
	{"pg_catalog", "pg_constraint", 2606, false, "oid oid, conname name, connamespace oid, contype char, condeferrable bool, condeferred bool, convalidated bool, conrelid oid, contypid oid, conindid oid, conparentid oid, confrelid oid, confupdtype char, confdeltype char, confmatchtype char, conislocal bool, coninhcount int4, connoinherit bool, conkey text, confkey text, conpfeqop text, conppeqop text, conffeqop text, confdelsetcols text, conexclop text, conbin text"},
	{"pg_catalog", "pg_inherits", 2611, false, "inhrelid oid, inhparent oid, inhseqno int4, inhdetachpending bool"},
	{"pg_catalog", "pg_trigger", 2620, false, "oid oid, tgrelid oid, tgparentid oid, tgname name, tgfoid oid, tgtype int2, tgenabled char, tgisinternal bool, tgconstrrelid oid, tgconstrindid oid, tgconstraint oid, tgdeferrable bool, tginitdeferred bool, tgnargs int2, tgattr text, tgargs text, tgqual text, tgoldtable name, tgnewtable name"},
	{"pg_catalog", "pg_policy", 3256, false, "oid oid, polname name, polrelid oid, polcmd char, polpermissive bool, polroles text, polqual text, polwithcheck text"},
	{"pg_catalog", "pg_statistic_ext", 3381, false, "oid oid, stxrelid oid, stxname name, stxnamespace oid, stxowner oid, stxstattarget int4, stxkeys text, stxkind text, stxexprs text"},
	{"pg_catalog", "pg_publication", 6104, false, "oid oid, pubname name, pubowner oid, puballtables bool, pubinsert bool, pubupdate bool, pubdelete bool, pubtruncate bool, pubviaroot bool"},
	{"pg_catalog", "pg_publication_rel", 6106, false, "oid oid, prpubid oid, prrelid oid, prqual text, prattrs text"},
	{"pg_catalog", "pg_publication_namespace", 6237, false, "oid oid, pnpubid oid, pnnspid oid"},
	{"pg_catalog", "pg_extension", 3079, false, "oid oid, extname name, extowner oid=10, extnamespace oid=11, extrelocatable bool=f, extversion text, extconfig text, extcondition text"},
	{"pg_catalog", "pg_language", 2612, false, "oid oid, lanname name, lanowner oid=10, lanispl bool=f, lanpltrusted bool=f, lanplcallfoid oid=0, laninline oid=0, lanvalidator oid=0, lanacl text"},
	{"pg_catalog", "pg_settings", 12003, true, "name text, setting text, unit text, category text, short_desc text, extra_desc text, context text=user, vartype text=string, source text=default, min_val text, max_val text, enumvals text, boot_val text, reset_val text, sourcefile text, sourceline int4, pending_restart bool=f"},
	{"pg_catalog", "pg_matviews", 12004, true, "schemaname name=public, matviewname name, matviewowner name=tocsin, tablespace name, hasindexes bool=f, ispopulated bool=t, definition text"},
	{"pg_catalog", "pg_views", 12005, true, "schemaname name, viewname name, viewowner name=tocsin, definition text"},
	{"pg_catalog", "pg_tables", 12006, true, "schemaname name, tablename name, tableowner name=tocsin, tablespace name, hasindexes bool=f, hasrules bool=f, hastriggers bool=f, rowsecurity bool=f"},
	{"pg_catalog", "pg_foreign_table", 3118, false, "ftrelid oid, ftserver oid, ftoptions text"},
	{"pg_catalog", "pg_foreign_server", 1417, false, "oid oid, srvname name, srvowner oid=10, srvfdw oid, srvtype text, srvversion text, srvacl text, srvoptions text"},
	{"pg_catalog", "pg_foreign_data_wrapper", 2328, false, "oid oid, fdwname name, fdwowner oid=10, fdwhandler oid=0, fdwvalidator oid=0, fdwacl text, fdwoptions text"},
	{"pg_catalog", "pg_attrdef", 2604, false, "oid oid, adrelid oid, adnum int2, adbin text"},
	{"pg_catalog", "pg_collation", 3456, false, "oid oid, collname name, collnamespace oid, collowner oid, collprovider char, collisdeterministic bool, collencoding int4, collcollate text, collctype text, colliculocale text, collversion text"},
	{"pg_catalog", "pg_rewrite", 2618, false, "oid oid, rulename name, ev_class oid, ev_type char, ev_enabled char, is_instead bool, ev_qual text, ev_action text"},
	{"pg_catalog", "pg_tablespace", 1213, false, "oid oid, spcname name, spcowner oid=10, spcacl text, spcoptions text"},
	{"pg_catalog", "pg_enum", 3501, false, "oid oid, enumtypid oid, enumsortorder float4, enumlabel name"},
	{"pg_catalog", "pg_range", 3541, false, "rngtypid oid, rngsubtype oid, rngmultitypid oid, rngcollation oid, rngsubopc oid, rngcanonical text, rngsubdiff text"},
	{"pg_catalog", "pg_event_trigger", 3466, false, "oid oid, evtname name, evtevent name, evtowner oid, evtfoid oid, evtenabled char, evttags text"},
	{"pg_catalog", "pg_sequence", 2224, false, "seqrelid oid, seqtypid oid, seqstart int8, seqincrement int8, seqmax int8, seqmin int8, seqcache int8, seqcycle bool"},
	{"pg_catalog", "pg_depend", 2608, false, "classid oid, objid oid, objsubid int4, refclassid oid, refobjid oid, refobjsubid int4, deptype char"},
	{"pg_catalog", "pg_stat_activity", 12007, true, "datid oid, datname name, pid int4, usesysid oid, usename name, application_name text, client_addr text, backend_start timestamptz, state text, query text"},
	{"information_schema", "schemata", 13001, true, "catalog_name name=tocsin, schema_name name, schema_owner name=tocsin, default_character_set_catalog name, default_character_set_schema name, default_character_set_name name, sql_path varchar"},
	{"information_schema", "tables", 13002, true, "table_catalog name=tocsin, table_schema name, table_name name, table_type varchar, self_referencing_column_name name, reference_generation varchar, user_defined_type_catalog name, user_defined_type_schema name, user_defined_type_name name, is_insertable_into varchar=NO, is_typed varchar=NO, commit_action varchar"},
	{"information_schema", "columns", 13003, true, "table_catalog name=tocsin, table_schema name, table_name name, column_name name, ordinal_position int4, column_default varchar, is_nullable varchar, data_type varchar, character_maximum_length int4, character_octet_length int4, numeric_precision int4, numeric_precision_radix int4, numeric_scale int4, datetime_precision int4, interval_type varchar, udt_catalog name=tocsin, udt_schema name=pg_catalog, udt_name name, is_identity varchar=NO, is_generated varchar=NEVER, is_updatable varchar=NO"},
	{"information_schema", "views", 13004, true, "table_catalog name=tocsin, table_schema name, table_name name, view_definition varchar, check_option varchar=NONE, is_updatable varchar=NO, is_insertable_into varchar=NO, is_trigger_updatable varchar=NO, is_trigger_deletable varchar=NO, is_trigger_insertable_into varchar=NO"},
}

// pgColumn is a parsed column declaration.
type pgColumn struct {
	types.Column
	def    string
	hasDef bool
	// char marks PostgreSQL's one-byte "char" type (carried as text).
	char bool
}

// pgCatalogRel is a catalog relation with its object and parsed columns.
type pgCatalogRel struct {
	pgRel
	obj  *catalog.Object
	cols []pgColumn
}

// pgCatalogs holds the catalog relations, by "schema.name".
type pgCatalogs struct {
	byName map[string]*pgCatalogRel
	byOID  map[uint32]*pgCatalogRel
	list   []*pgCatalogRel
}

func newPgCatalogs() *pgCatalogs {
	c := &pgCatalogs{byName: map[string]*pgCatalogRel{}, byOID: map[uint32]*pgCatalogRel{}}
	for _, d := range pgRelDecls {
		r := &pgCatalogRel{pgRel: d}
		var schema types.Schema
		for _, spec := range strings.Split(d.cols, ", ") {
			name, rest, _ := strings.Cut(spec, " ")
			typ, def, hasDef := strings.Cut(rest, "=")
			col := pgColumn{def: def, hasDef: hasDef}
			if typ == "char" {
				col.char, typ = true, "text"
			}
			t, ok := types.LookupName(typ)
			if !ok {
				panic("BUG: catalog column type " + typ)
			}
			col.Column = types.Column{Name: name, Type: t, Nullable: true}
			r.cols = append(r.cols, col)
			schema = append(schema, col.Column)
		}
		r.obj = &catalog.Object{ID: d.oid, Kind: catalog.KindSystem, Name: d.name, Schema: schema, System: pgSystemPrefix + d.schema + "." + d.name}
		c.byName[d.schema+"."+d.name] = r
		c.byOID[d.oid] = r
		c.list = append(c.list, r)
	}
	return c
}

// relation returns the catalog relation schema.name.
func (c *pgCatalogs) relation(schema, name string) (*pgCatalogRel, bool) {
	r, ok := c.byName[schema+"."+name]
	return r, ok
}

// pgResolver is the binder's view of the catalog: the user catalog, plus
// pg_catalog and information_schema. As in PostgreSQL, pg_catalog is
// searched before public for unqualified names.
type pgResolver struct {
	cat *catalog.Catalog
	pg  *pgCatalogs
}

// Relation implements catalog.Resolver.
func (r pgResolver) Relation(name ast.Ident) (*catalog.Object, error) {
	schema, rel := strings.ToLower(name.Schema()), strings.ToLower(name.Name())
	switch schema {
	case "pg_catalog", "information_schema":
		if c, ok := r.pg.relation(schema, rel); ok {
			return c.obj, nil
		}
		return nil, sqlerr.At(sqlerr.UndefinedTable, name.Off, "relation %q does not exist", name.String())
	case "":
		if c, ok := r.pg.relation("pg_catalog", rel); ok {
			return c.obj, nil
		}
	}
	return r.cat.Relation(name)
}

// sessionUsers counts the open sessions of each user name: each is a
// role in pg_roles.
type sessionUsers struct {
	mu sync.Mutex
	n  map[string]int
}

func (u *sessionUsers) add(name string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.n == nil {
		u.n = map[string]int{}
	}
	u.n[name]++
}

func (u *sessionUsers) remove(name string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.n[name]--; u.n[name] <= 0 {
		delete(u.n, name)
	}
}

// pgRole is one role.
type pgRole struct {
	oid  uint32
	name string
}

// roles returns the superuser and every connected user, by name.
func (u *sessionUsers) roles() []pgRole {
	u.mu.Lock()
	defer u.mu.Unlock()
	out := []pgRole{{superuserOID, superuser}}
	for name := range u.n {
		if name != superuser && name != "" {
			out = append(out, pgRole{roleOID(name), name})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// roleOID derives a stable oid for a user name (in a range no other
// object uses).
func roleOID(name string) uint32 {
	if name == superuser {
		return superuserOID
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(name))
	return 1<<28 | h.Sum32()&(1<<28-1)
}
