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
    assert message.endswith(_lab.NO_RUNTIME), message


@pytest.mark.parametrize('python, glibc', [('three', '2.36'), ('3.11', '2.x')])
def test_unreadable_versions_are_refused(python, glibc):
    with pytest.raises(ValueError, match='must be a version such as 3.11'):
        _lab.pi_runtime_wheel('aarch64', 64, python, glibc)


@pytest.mark.parametrize('glibc', ['', None], ids=['musl', 'unknown'])
def test_a_userland_without_glibc_is_refused_by_name(glibc):
    with pytest.raises(ValueError) as e:
        _lab.pi_runtime_wheel('aarch64', 64, '3.11', glibc)
    assert 'its C library is not glibc' in str(e.value) and str(e.value).endswith(_lab.NO_RUNTIME)


@pytest.mark.parametrize('machine, python, glibc, name', [
    ('aarch64', '3.11.2', '2.36', 'aarch64-py3.11-glibc2.36'),
    ('armv7l', '3.9', '2.31', 'armv7l-py3.9-glibc2.31'),
])
def test_a_wheel_platform_name_round_trips(machine, python, glibc, name):
    assert _lab.wheel_platform(machine, python, glibc) == name
    assert _lab.parse_wheel_platform(name) == (machine, 64 if machine == 'aarch64' else 32, python[:4].rstrip('.'),
                                               glibc)


@pytest.mark.parametrize('name', ['x86_64-py3.11-glibc2.36', 'aarch64-py3.11', 'aarch64-py3.11-glibc2.36/..', ''])
def test_a_wrong_wheel_platform_name_is_refused_with_the_form(name):
    with pytest.raises(ValueError, match='aarch64-py3.11-glibc2.36'):
        _lab.parse_wheel_platform(name)


def test_the_distribution_numpy_means_the_runtime_alone():
    by_bits = dict((line['bits'], line) for line in reversed(_lab.PI_RUNTIME_WHEELS))
    assert _lab.pi_runtime_requirements(by_bits[64]) == (['ai-edge-litert==2.3.0'], False)
    assert _lab.pi_runtime_requirements(by_bits[32]) == (['tflite-runtime==2.14.0'], True)


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
