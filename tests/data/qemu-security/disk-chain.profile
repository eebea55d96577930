# SPDX-License-Identifier: LGPL-2.1-or-later
# virtkit: the AppArmor profile of one QEMU domain.
#
# virtkit-aa-helper copies this template to /etc/apparmor.d/virtkit/virtkit-<uuid> the first
# time the domain starts, filling in its name and the include of its .files, which lists the
# domain's own disks, firmware, chardev files and run directory and is rewritten whenever the
# domain's devices change. Site-wide additions belong in abstractions/virtkit-qemu or here;
# additions for one domain belong in its own virtkit-<uuid> file, which is never rewritten.

#include <tunables/global>

profile virtkit-6a3e9d2c-1f4b-4c8e-9a7d-2b5c8e1f0a3d flags=(attach_disconnected) {
  #include <virtkit/abstractions/virtkit-qemu>
  #include <virtkit/virtkit-6a3e9d2c-1f4b-4c8e-9a7d-2b5c8e1f0a3d.files>
}
