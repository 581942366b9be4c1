import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Types;
import java.util.Map;
import java.util.TreeMap;

/**
 * pgJDBC against Tocsin: DatabaseMetaData.getTables and getColumns, and
 * ten executions of one PreparedStatement (the driver switches to a named
 * server-side statement at the fifth, prepareThreshold=5). Usage:
 * java -cp postgresql.jar:. JdbcCheck PORT. Prints one line per check and
 * exits 1 if any fails.
 */
public final class JdbcCheck {
    private static int failed;

    private static void check(String name, boolean ok, String detail) {
        System.out.println((ok ? "PASS " : "FAIL ") + "jdbc: " + name + (ok ? "" : ": " + detail));
        if (!ok) {
            failed++;
        }
    }

    private interface Check {
        void run() throws Exception;
    }

    private static void attempt(String name, Check c) {
        try {
            c.run();
        } catch (Exception e) {
            check(name, false, e.toString().split("\n")[0]);
        }
    }

    public static void main(String[] args) throws Exception {
        String url = "jdbc:postgresql://127.0.0.1:" + args[0] + "/tocsin?user=tocsin&sslmode=disable";
        try (Connection conn = DriverManager.getConnection(url)) {
            DatabaseMetaData md = conn.getMetaData();
            attempt("getTables", () -> {
                Map<String, String> got = new TreeMap<>();
                try (ResultSet rs = md.getTables(null, "public", "%", null)) {
                    while (rs.next()) {
                        got.put(rs.getString("TABLE_NAME"), rs.getString("TABLE_TYPE"));
                    }
                }
                check("getTables", "TABLE".equals(got.get("alerts")) && "MATERIALIZED VIEW".equals(got.get("mv_alerts"))
                        && "FOREIGN TABLE".equals(got.get("requests")), got.toString());
            });
            attempt("getColumns", () -> {
                Map<String, String> got = new TreeMap<>();
                try (ResultSet rs = md.getColumns(null, "public", "alerts", "%")) {
                    while (rs.next()) {
                        got.put(rs.getInt("ORDINAL_POSITION") + ":" + rs.getString("COLUMN_NAME"),
                                rs.getString("TYPE_NAME") + "/" + rs.getInt("DATA_TYPE") + "/" + rs.getString("IS_NULLABLE"));
                    }
                }
                Map<String, String> want = new TreeMap<>();
                want.put("1:id", "int4/" + Types.INTEGER + "/NO");
                want.put("2:host", "text/" + Types.VARCHAR + "/NO");
                want.put("3:ts", "timestamptz/" + Types.TIMESTAMP + "/YES");
                want.put("4:v", "float8/" + Types.DOUBLE + "/YES");
                check("getColumns", got.equals(want), "got " + got + ", want " + want);
            });
            attempt("PreparedStatement x10", () -> {
                StringBuilder bad = new StringBuilder();
                try (PreparedStatement ps = conn.prepareStatement("SELECT host, v FROM alerts WHERE id = ?")) {
                    for (int i = 0; i < 10; i++) {
                        int id = 1 + i % 2;
                        ps.setInt(1, id);
                        try (ResultSet rs = ps.executeQuery()) {
                            String want = id == 1 ? "h1/1.5" : "h2/2.5";
                            String got = rs.next() ? rs.getString(1) + "/" + rs.getDouble(2) : "no row";
                            if (rs.next()) {
                                got += " and more rows";
                            }
                            if (!got.equals(want)) {
                                bad.append("execution ").append(i + 1).append(": ").append(got).append("; ");
                            }
                        }
                    }
                }
                check("PreparedStatement x10", bad.length() == 0, bad.toString());
            });
            attempt("PreparedStatement over the view", () -> {
                try (PreparedStatement ps = conn.prepareStatement("SELECT n FROM mv_alerts WHERE service = ?")) {
                    ps.setString(1, "svc-01");
                    try (ResultSet rs = ps.executeQuery()) {
                        boolean ok = rs.next() && rs.getLong(1) >= 1 && !rs.next();
                        check("PreparedStatement over the view", ok, "no single row with n >= 1");
                    }
                }
            });
        }
        System.exit(failed == 0 ? 0 : 1);
    }
}
