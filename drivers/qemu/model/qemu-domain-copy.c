/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-domain-copy.c: a deep copy of a domain definition, without formatting and parsing it */
#include <assert.h>
#include <string.h>

#include "macro.h"
#include "qemu-domain-internal.h"

/*
 * Each object is copied whole first (struct assignment: every scalar, enum, flag and fixed
 * array comes along, including fields added later), then every pointer it owns is replaced by
 * a copy of what it points to. A pointer field added to the model without a line here would
 * be shared, and freed twice: the copy test (format and free over every golden, under ASan)
 * catches that.
 */

static void copy_info(VkDeviceInfo *info) {
        info->alias = g_strdup(info->alias);
}

/* A g_malloc'ed copy of @n elements of @size bytes at @src; NULL for none. */
static void *copy_memory(const void *src, size_t n, size_t size) {
        return n > 0 ? g_memdup2(src, n * size) : NULL;
}

#define COPY_MEMORY(p, n) copy_memory((p), (n), sizeof(*(p)))

static VkDomainDisk *copy_disk(const VkDomainDisk *src) {
        VkDomainDisk *d = g_memdup2(src, sizeof(*src));

        d->driver_name = g_strdup(src->driver_name);
        d->src_path = g_strdup(src->src_path);
        d->src_pool = g_strdup(src->src_pool);
        d->src_volume = g_strdup(src->src_volume);
        d->target_dev = g_strdup(src->target_dev);
        d->serial = g_strdup(src->serial);
        d->secret_uuid = g_strdup(src->secret_uuid);
        d->backing = COPY_MEMORY(src->backing, src->n_backing);
        for (size_t i = 0; i < d->n_backing; i++)
                d->backing[i].path = g_strdup(src->backing[i].path);
        copy_info(&d->info);
        return d;
}

static VkDomainController *copy_controller(const VkDomainController *src) {
        VkDomainController *c = g_memdup2(src, sizeof(*src));

        copy_info(&c->info);
        return c;
}

static VkDomainNet *copy_net(const VkDomainNet *src) {
        VkDomainNet *n = g_memdup2(src, sizeof(*src));

        n->source = g_strdup(src->source);
        n->target_dev = g_strdup(src->target_dev);
        n->port_id = g_strdup(src->port_id);
        n->live_bridge = g_strdup(src->live_bridge);
        n->live_dev = g_strdup(src->live_dev);
        copy_info(&n->info);
        return n;
}

static VkDomainInput *copy_input(const VkDomainInput *src) {
        VkDomainInput *in = g_memdup2(src, sizeof(*src));

        copy_info(&in->info);
        return in;
}

static VkDomainGraphics *copy_graphics(const VkDomainGraphics *src) {
        VkDomainGraphics *g = g_memdup2(src, sizeof(*src));

        g->listen = g_strdup(src->listen);
        g->keymap = g_strdup(src->keymap);
        g->passwd = g_strdup(src->passwd);
        g->image_compression = g_strdup(src->image_compression);
        return g;
}

static VkDomainSound *copy_sound(const VkDomainSound *src) {
        VkDomainSound *s = g_memdup2(src, sizeof(*src));

        copy_info(&s->info);
        return s;
}

static VkDomainRedirdev *copy_redirdev(const VkDomainRedirdev *src) {
        VkDomainRedirdev *r = g_memdup2(src, sizeof(*src));

        copy_info(&r->info);
        return r;
}

static VkDomainVideo *copy_video(const VkDomainVideo *src) {
        VkDomainVideo *v = g_memdup2(src, sizeof(*src));

        copy_info(&v->info);
        return v;
}

static VkDomainChr *copy_chr(const VkDomainChr *src) {
        VkDomainChr *chr = g_memdup2(src, sizeof(*src));

        chr->path = g_strdup(src->path);
        chr->host = g_strdup(src->host);
        chr->service = g_strdup(src->service);
        chr->target_name = g_strdup(src->target_name);
        copy_info(&chr->info);
        return chr;
}

static VkDomainWatchdog *copy_watchdog(const VkDomainWatchdog *src) {
        VkDomainWatchdog *w = g_memdup2(src, sizeof(*src));

        copy_info(&w->info);
        return w;
}

static VkDomainRng *copy_rng(const VkDomainRng *src) {
        VkDomainRng *rng = g_memdup2(src, sizeof(*src));

        rng->backend_path = g_strdup(src->backend_path);
        copy_info(&rng->info);
        return rng;
}

static VkDomainTpm *copy_tpm(const VkDomainTpm *src) {
        VkDomainTpm *t = g_memdup2(src, sizeof(*src));

        t->device_path = g_strdup(src->device_path);
        t->version = g_strdup(src->version);
        copy_info(&t->info);
        return t;
}

static VkDomainMemballoon *copy_memballoon(const VkDomainMemballoon *src) {
        VkDomainMemballoon *mb;

        if (!src)
                return NULL;
        mb = g_memdup2(src, sizeof(*src));
        copy_info(&mb->info);
        return mb;
}

/* Replace the array @array (of @count device pointers) by one of copies made by @fn. */
#define COPY_DEVICES(array, count, fn)                                                             \
        do {                                                                                       \
                __typeof__(array) _src = (array);                                                  \
                (array) = (count) > 0 ? g_new(__typeof__(*(array)), (count)) : NULL;               \
                for (size_t _i = 0; _i < (count); _i++)                                            \
                        (array)[_i] = fn(_src[_i]);                                                \
        } while (0)

static void copy_devices(VkDomainDef *def) {
        COPY_DEVICES(def->disks, def->n_disks, copy_disk);
        COPY_DEVICES(def->controllers, def->n_controllers, copy_controller);
        COPY_DEVICES(def->nets, def->n_nets, copy_net);
        COPY_DEVICES(def->inputs, def->n_inputs, copy_input);
        COPY_DEVICES(def->graphics, def->n_graphics, copy_graphics);
        COPY_DEVICES(def->videos, def->n_videos, copy_video);
        COPY_DEVICES(def->sounds, def->n_sounds, copy_sound);
        COPY_DEVICES(def->redirdevs, def->n_redirdevs, copy_redirdev);
        COPY_DEVICES(def->serials, def->n_serials, copy_chr);
        COPY_DEVICES(def->parallels, def->n_parallels, copy_chr);
        COPY_DEVICES(def->consoles, def->n_consoles, copy_chr);
        COPY_DEVICES(def->channels, def->n_channels, copy_chr);
        COPY_DEVICES(def->watchdogs, def->n_watchdogs, copy_watchdog);
        COPY_DEVICES(def->rngs, def->n_rngs, copy_rng);
        COPY_DEVICES(def->tpms, def->n_tpms, copy_tpm);
        def->memballoon = copy_memballoon(def->memballoon);
        COPY_DEVICES(def->panics, def->n_panics, vk_domain_panic_copy);
        vk_domain_fs_copy_devices(def);
}

static void copy_namespace(VkQemuNamespace *ns) {
        ns->args = g_strdupv(ns->args);
        ns->env = COPY_MEMORY(ns->env, ns->n_env);
        for (size_t i = 0; i < ns->n_env; i++) {
                ns->env[i].name = g_strdup(ns->env[i].name);
                ns->env[i].value = g_strdup(ns->env[i].value);
        }
        ns->caps_add = g_strdupv(ns->caps_add);
        ns->caps_del = g_strdupv(ns->caps_del);
        ns->overrides = COPY_MEMORY(ns->overrides, ns->n_overrides);
        for (size_t i = 0; i < ns->n_overrides; i++) {
                VkQemuOverrideDevice *d = &ns->overrides[i];

                d->alias = g_strdup(d->alias);
                d->props = COPY_MEMORY(d->props, d->n_props);
                for (size_t j = 0; j < d->n_props; j++) {
                        d->props[j].name = g_strdup(d->props[j].name);
                        d->props[j].value = g_strdup(d->props[j].value);
                }
        }
}

/*
 * A deep copy of @src: the same definition, live data included, sharing nothing with it.
 * Cannot fail; free with vk_domain_def_free().
 */
VkDomainDef *vk_domain_def_copy(const VkDomainDef *src) {
        VkDomainDef *def;

        assert(src);

        def = g_memdup2(src, sizeof(*src));
        def->name = g_strdup(src->name);
        def->title = g_strdup(src->title);
        def->description = g_strdup(src->description);
        def->metadata = g_strdupv(src->metadata);
        def->hyperv.vendor_id = g_strdup(src->hyperv.vendor_id);
        def->vcpu_cpuset = g_strdup(src->vcpu_cpuset);
        def->os_type = g_strdup(src->os_type);
        def->machine = g_strdup(src->machine);
        def->loader_path = g_strdup(src->loader_path);
        def->nvram_path = g_strdup(src->nvram_path);
        def->nvram_template = g_strdup(src->nvram_template);
        def->kernel = g_strdup(src->kernel);
        def->initrd = g_strdup(src->initrd);
        def->cmdline = g_strdup(src->cmdline);
        vk_domain_sysinfo_copy(&def->sysinfo);

        vk_domain_cpu_copy(&def->cpu);
        vk_domain_tune_copy(def);
        def->timers = COPY_MEMORY(src->timers, src->n_timers);

        def->seclabels = COPY_MEMORY(src->seclabels, src->n_seclabels);
        for (size_t i = 0; i < def->n_seclabels; i++) {
                VkSeclabel *s = &def->seclabels[i];

                s->label = g_strdup(s->label);
                s->imagelabel = g_strdup(s->imagelabel);
                s->baselabel = g_strdup(s->baselabel);
        }

        def->emulator = g_strdup(src->emulator);
        copy_devices(def);
        copy_namespace(&def->qemu);
        return def;
}
