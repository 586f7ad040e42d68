"""An nginx master of our own on 127.0.0.1 (``nginx -c <conf> -g 'daemon off;'``) whose http block includes a
server block written by the role under test (labfleet.zoo.mirror)."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

from ansible_collections.labfleet.zoo.tests.support.fleet import ensure_package, stop_process, wait_listening

NGINX = '/usr/sbin/nginx'


class Nginx(object):
    """``start()`` writes nginx.conf in ``workdir`` (pid, logs, temp folders there) and waits for ``port``."""

    def __init__(self, workdir, site, port):
        self.dir, self.site, self.port = Path(workdir), Path(site), port
        self.proc = None

    @property
    def url(self):
        return 'http://127.0.0.1:%d' % self.port

    def start(self):
        ensure_package(NGINX, 'nginx')
        temp = self.dir / 'temp'
        temp.mkdir(parents=True, exist_ok=True)
        conf = self.dir / 'nginx.conf'
        conf.write_text('\n'.join([
            'user root;',    # the mirror folder is under pytest's private (0700) temporary folder
            'worker_processes 2;',
            'pid %s;' % (self.dir / 'nginx.pid'),
            'error_log %s;' % (self.dir / 'error.log'),
            'events { worker_connections 256; }',
            'http {',
            '    include /etc/nginx/mime.types;',
            '    default_type application/octet-stream;',
            '    client_body_temp_path %s/body;' % temp,
            '    proxy_temp_path %s/proxy;' % temp,
            '    fastcgi_temp_path %s/fastcgi;' % temp,
            '    uwsgi_temp_path %s/uwsgi;' % temp,
            '    scgi_temp_path %s/scgi;' % temp,
            '    include %s;' % self.site,
            '}',
            '',
        ]))
        subprocess.run([NGINX, '-t', '-q', '-c', str(conf)], check=True, capture_output=True, text=True)
        self.proc = subprocess.Popen([NGINX, '-c', str(conf), '-g', 'daemon off;'])
        wait_listening(self.proc, self.port, self.dir / 'error.log', 'nginx')
        return self

    def stop(self):
        stop_process(self.proc, signal.SIGQUIT, 15)    # graceful: workers finish, then exit
        self.proc = None
