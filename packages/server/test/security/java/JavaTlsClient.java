// What a RocketMQ Java client with -Dtls.enable=true does in its default test mode
// (TlsHelper.buildSslContext(forClient=true), tls.test.mode.enable=true): the JDK's own TLS
// (SslProvider.JDK) with a trust manager that accepts any server certificate, no host name check.
// Usage: java JavaTlsClient.java HOST PORT REQUEST_FRAME_HEX
// Prints: the negotiated protocol, then the response frame in hex.
import java.io.DataInputStream;
import java.io.OutputStream;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

public class JavaTlsClient {
    public static void main(String[] args) throws Exception {
        TrustManager[] trustAll = {new X509TrustManager() {
            public void checkClientTrusted(X509Certificate[] chain, String authType) {}
            public void checkServerTrusted(X509Certificate[] chain, String authType) {}
            public X509Certificate[] getAcceptedIssuers() { return new X509Certificate[0]; }
        }};
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, trustAll, null);
        try (SSLSocket socket = (SSLSocket) ctx.getSocketFactory().createSocket(args[0], Integer.parseInt(args[1]))) {
            socket.setSoTimeout(10000);
            socket.startHandshake();
            System.out.println(socket.getSession().getProtocol());
            byte[] frame = hex(args[2]);
            OutputStream out = socket.getOutputStream();
            out.write(frame);
            out.flush();
            DataInputStream in = new DataInputStream(socket.getInputStream());
            int length = in.readInt();
            byte[] rest = new byte[length];
            in.readFully(rest);
            StringBuilder sb = new StringBuilder(String.format("%08x", length));
            for (byte b : rest) sb.append(String.format("%02x", b));
            System.out.println(sb);
        }
    }

    private static byte[] hex(String s) {
        byte[] out = new byte[s.length() / 2];
        for (int i = 0; i < out.length; i++) out[i] = (byte) Integer.parseInt(s.substring(2 * i, 2 * i + 2), 16);
        return out;
    }
}
