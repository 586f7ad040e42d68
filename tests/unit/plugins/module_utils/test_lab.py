"""The TFLite runtime a Raspberry Pi's userland takes (_lab.pi_runtime_wheel), and the pip platform tags of its
wheelhouse: arch x userland bits x Python x glibc -> the package, or a refusal naming the combination and the way
out. The Pi 4/5 on 32-bit Raspberry Pi OS (kernel aarch64, userland 32-bit) cannot run under qemu-user: its case is
here, on the facts it reports."""

from __future__ import annotations

import pytest

from ansible_collections.labfleet.zoo.plugins.module_utils import _lab


@pytest.mark.parametrize('machine, bits, python, glibc, package, version, numpy, wheel_machine', [
    pytest.param('aarch64', 64, '3.11', '2.36', 'ai-edge-litert', '2.3.0', 'pip', 'aarch64', id='bookworm-arm64'),
    pytest.param('aarch64', 64, '3.13', '2.41', 'ai-edge-litert', '2.3.0', 'pip', 'aarch64', id='trixie-arm64'),
    pytest.param('aarch64', 64, '3.9', '2.31', 'ai-edge-litert', '2.1.0', 'pip', 'aarch64', id='bullseye-arm64'),
    pytest.param('armv7l', 32, '3.11', '2.36', 'tflite-runtime', '2.14.0', 'system', 'armv7l', id='bookworm-armhf'),
    pytest.param('aarch64', 32, '3.11', '2.36', 'tflite-runtime', '2.14.0', 'system', 'armv7l',
                 id='pi4-64-bit-kernel-32-bit-raspberry-pi-os'),
    pytest.param('armv8l', 32, '3.11', '2.36', 'tflite-runtime', '2.14.0', 'system', 'armv7l', id='armv8l-userland'),
    pytest.param('armv7l', 32, '3.9', '2.31', 'tflite-runtime', '2.13.0', 'system', 'armv7l', id='bullseye-armhf'),
    pytest.param('armv7l', 32, '3.11.2', '2.36', 'tflite-runtime', '2.14.0', 'system', 'armv7l', id='patch-level'),
])
def test_the_runtime_of_each_userland(machine, bits, python, glibc, package, version, numpy, wheel_machine):
    wheel = _lab.pi_runtime_wheel(machine, bits, python, glibc)
    assert (wheel['package'], wheel['version'], wheel['numpy'], wheel['machine']) == (
        package, version, numpy, wheel_machine)
    assert wheel['module'] == package.replace('-', '_') + '.interpreter'
    assert _lab.PI_RUNTIMES[bits] == package


@pytest.mark.parametrize('machine, bits, python, glibc, named, way_out', [
    pytest.param('armv7l', 32, '3.13', '2.41', 'armv7l, 32-bit userland, Python 3.13, glibc 2.41',
                 'install the 64-bit Raspberry Pi OS', id='trixie-armhf'),
    pytest.param('aarch64', 32, '3.12', '2.39', 'aarch64, 32-bit userland, Python 3.12, glibc 2.39',
                 'install the 64-bit Raspberry Pi OS', id='pi4-32-bit-userland-python-3.12'),
    pytest.param('armv7l', 32, '3.11', '2.31', 'armv7l, 32-bit userland, Python 3.11, glibc 2.31',
                 'tflite-runtime (Python 3.9-3.11, glibc >= 2.34)', id='glibc-too-old'),
    pytest.param('aarch64', 64, '3.8', '2.31', 'aarch64, 64-bit userland, Python 3.8, glibc 2.31',
                 'install Raspberry Pi OS bookworm or later (64-bit)', id='buster-arm64'),
    pytest.param('aarch64', 64, '3.11', '2.24', 'glibc 2.24', 'ai-edge-litert (Python 3.10-3.14, glibc >= 2.27)',
                 id='arm64-glibc-too-old'),
    pytest.param('armv6l', 32, '3.11', '2.36', 'armv6l, 32-bit userland', 'not ARMv6: Pi Zero, Pi 1', id='pi-zero'),
    pytest.param('x86_64', 64, '3.11', '2.36', 'x86_64, 64-bit userland', 'ARM', id='not-a-pi'),
    pytest.param('armv7l', 64, '3.11', '2.36', 'armv7l, 64-bit userland', 'ARM', id='bits-that-do-not-fit'),
])
def test_a_userland_without_a_wheel_is_refused_with_the_way_out(machine, bits, python, glibc, named, way_out):
    with pytest.raises(ValueError) as e:
        _lab.pi_runtime_wheel(machine, bits, python, glibc)
    message = str(e.value)
    assert named in message and way_out in message, message
    assert 'this host gets no TFLite runtime' in message


@pytest.mark.parametrize('python, glibc', [('three', '2.36'), ('3.11', ''), ('3.11', None)])
def test_unreadable_versions_are_refused(python, glibc):
    with pytest.raises(ValueError, match='must be a version such as 3.11'):
        _lab.pi_runtime_wheel('aarch64', 64, python, glibc)


def test_every_line_is_reachable_and_32_bit_lines_take_numpy_from_the_system():
    for line in _lab.PI_RUNTIME_WHEELS:
        low = '.'.join(map(str, line['python'][0]))
        glibc = '.'.join(map(str, line['glibc']))
        assert _lab.pi_runtime_wheel(line['machine'], line['bits'], low, glibc) == line
        assert line['numpy'] == ('system' if line['bits'] == 32 else 'pip')


def test_wheel_platforms_list_every_manylinux_tag_down_to_2_17():
    tags = _lab.wheel_platforms('armv7l', '2.36')
    assert tags[0] == 'manylinux_2_36_armv7l' and tags[-3:] == [
        'manylinux_2_17_armv7l', 'manylinux2014_armv7l', 'linux_armv7l']
    assert len(tags) == 36 - 17 + 1 + 2
    assert 'manylinux_2_34_armv7l' in tags and 'manylinux_2_27_armv7l' in tags
