// PostgreSQL's own JDBC driver against sqlml serve: the DatabaseMetaData calls BI tools make (DBeaver, Metabase,
// Tableau-style tools), a prepared ML.PREDICT with bound parameters, ML.EVALUATE and its notice, refused logins.
// Compiled and run by tests/server/test_catalog_clients.py. Usage: JdbcClient URL USER PASSWORD
// Prints sections: a line "## name", then one line per row, values separated by tabs; a call that fails
// prints "## name FAILED <SQLSTATE> <message>" instead.

import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.SQLWarning;
import java.sql.Statement;
import java.util.Properties;

public class JdbcClient {
    interface Call {
        ResultSet run() throws SQLException;
    }

    static void section(String name, Call call, String... columns) {
        try (ResultSet rows = call.run()) {
            System.out.println("## " + name);
            ResultSetMetaData meta = rows.getMetaData();
            while (rows.next()) {
                StringBuilder line = new StringBuilder();
                int count = columns.length > 0 ? columns.length : meta.getColumnCount();
                for (int i = 0; i < count; i++) {
                    String value = columns.length > 0 ? rows.getString(columns[i]) : rows.getString(i + 1);
                    line.append(i > 0 ? "\t" : "").append(value);
                }
                System.out.println(line);
            }
        } catch (SQLException e) {
            failed(name, e);
        }
    }

    static void failed(String name, SQLException e) {
        System.out.println("## " + name + " FAILED " + e.getSQLState() + " " + e.getMessage().replace('\n', ' '));
    }

    static Connection connect(String url, String user, String password) throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("user", user);
        properties.setProperty("password", password);
        return DriverManager.getConnection(url, properties);
    }

    public static void main(String[] args) throws Exception {
        String url = args[0], user = args[1], password = args[2];
        try (Connection con = connect(url, user, password)) {
            DatabaseMetaData meta = con.getMetaData();
            System.out.println("## product");
            System.out.println(meta.getDatabaseProductName() + "\t" + meta.getDatabaseProductVersion());
            section("catalogs", meta::getCatalogs, "TABLE_CAT");
            section("schemas", meta::getSchemas, "TABLE_SCHEM");
            section("tables", () -> meta.getTables(null, null, "%", new String[] {"TABLE", "VIEW"}),
                    "TABLE_SCHEM", "TABLE_NAME", "TABLE_TYPE");
            section("columns", () -> meta.getColumns(null, "main", "%", "%"),
                    "TABLE_NAME", "COLUMN_NAME", "TYPE_NAME", "ORDINAL_POSITION", "IS_NULLABLE");
            for (String table : new String[] {"penguins", "islands", "measurements"}) {
                section("primary keys " + table, () -> meta.getPrimaryKeys(null, "main", table),
                        "COLUMN_NAME", "KEY_SEQ", "PK_NAME");
            }
            section("imported keys", () -> meta.getImportedKeys(null, "main", "measurements"),
                    "PKTABLE_NAME", "PKCOLUMN_NAME", "FKTABLE_NAME", "FKCOLUMN_NAME", "KEY_SEQ", "FK_NAME", "PK_NAME");
            section("exported keys", () -> meta.getExportedKeys(null, "main", "islands"),
                    "PKTABLE_NAME", "PKCOLUMN_NAME", "FKTABLE_NAME", "FKCOLUMN_NAME", "KEY_SEQ", "FK_NAME", "PK_NAME");
            section("index info", () -> meta.getIndexInfo(null, "main", "measurements", false, false),
                    "INDEX_NAME", "NON_UNIQUE", "ORDINAL_POSITION", "COLUMN_NAME");
            section("type info", meta::getTypeInfo, "TYPE_NAME", "DATA_TYPE");
            section("functions", () -> meta.getFunctions(null, "main", "%"), "FUNCTION_NAME", "FUNCTION_TYPE");

            PreparedStatement predict = con.prepareStatement(
                "SELECT penguin_id, predicted_species FROM ML.PREDICT(MODEL species, "
                + "(SELECT * FROM penguins WHERE penguin_id <= ? AND island = ?)) ORDER BY penguin_id");
            predict.setInt(1, 60);
            predict.setString(2, "Dream");
            section("predict", predict::executeQuery);
            PreparedStatement typed = con.prepareStatement(
                "SELECT x, typeof(x) AS kind FROM ML.PREDICT(MODEL species, (SELECT ? AS x, * FROM penguins LIMIT 1))");
            typed.setDouble(1, 10.0);
            section("double parameter", typed::executeQuery, "x", "kind");

            Statement statement = con.createStatement();
            section("evaluate", () -> statement.executeQuery("SELECT * FROM ML.EVALUATE(MODEL species)"));
            System.out.println("## evaluate warnings");
            for (SQLWarning w = statement.getWarnings(); w != null; w = w.getNextWarning()) {
                System.out.println(w.getSQLState() + "\t" + w.getMessage());
            }
        }
        System.out.println("## refused logins");
        String[][] attempts = {{url, user, password + "-wrong"},
                               {url.replaceAll("/[^/]*$", "/analytics"), user, password}};
        for (String[] attempt : attempts) {
            try (Connection con = connect(attempt[0], attempt[1], attempt[2])) {
                System.out.println("connected");
            } catch (SQLException e) {
                System.out.println(e.getSQLState() + "\t" + e.getMessage().replace('\n', ' '));
            }
        }
    }
}
