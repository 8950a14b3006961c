/* access.c - principals, roles, segregation of duties, the bearer credential. */
#include "access.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "err.h"

const char *
access_roles_text(unsigned roles, char *buf, size_t size)
{
    size_t off = 0;
    buf[0] = '\0';
    for (int r = 0; r < WF_ROLE__COUNT && off < size; r++)
        if (roles & ACCESS_ROLE_BIT(r))
            off += (size_t)snprintf(buf + off, size - off, "%s%s", off ? ", " : "",
                                    wf_role_name((enum wf_role)r));
    return buf;
}

json_t *
access_roles_json(unsigned roles)
{
    json_t *j = json_array();
    for (int r = 0; r < WF_ROLE__COUNT && j; r++)
        if ((roles & ACCESS_ROLE_BIT(r)) &&
            json_array_append_new(j, json_string(wf_role_name((enum wf_role)r))) != 0) {
            json_decref(j);
            return NULL;
        }
    return j;
}

unsigned
access_roles_from_json(const json_t *j_names, bool *delegate)
{
    unsigned roles = 0;
    size_t i;
    const json_t *v;

    *delegate = false;
    if (!json_is_array(j_names))
        return 0;
    json_array_foreach(j_names, i, v)
    {
        const char *s = json_string_value(v);
        int r = s ? wf_role_from_text(s) : -1;
        if (r >= 0)
            roles |= ACCESS_ROLE_BIT(r);
        else if (s && strcmp(s, "delegate") == 0)
            *delegate = true;
    }
    return roles;
}

void
access_name_fold(const char *s, char *out, size_t size)
{
    size_t o = 0;
    for (; s && *s && o + 1 < size; s++) {
        unsigned char c = (unsigned char)*s;
        if (c >= 'A' && c <= 'Z')
            out[o++] = (char)(c - 'A' + 'a');
        else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80)
            out[o++] = (char)c;
    }
    if (size > 0)
        out[o] = '\0';
}

/* Whether two names are one once folded; an empty fold names nobody. */
static bool
same_name(const char *a, const char *b)
{
    char fa[512], fb[512];
    access_name_fold(a, fa, sizeof fa);
    access_name_fold(b, fb, sizeof fb);
    return fa[0] && strcmp(fa, fb) == 0;
}

bool
access_is_person(const struct principal *p, const char *person)
{
    if (person == NULL || person[0] == '\0')
        return false;
    return same_name(p->subject, person) || same_name(p->name, person) ||
           same_name(p->on_behalf_of, person);
}

bool
access_is_named(const struct principal *p, const json_t *j_person)
{
    if (json_is_string(j_person))
        return access_is_person(p, json_string_value(j_person));
    const char *kind = json_string_value(json_object_get(j_person, "kind"));
    const char *subject = json_string_value(json_object_get(j_person, "subject"));
    const char *name = json_string_value(json_object_get(j_person, "name"));
    if (kind == NULL || subject == NULL)
        return false;
    if (strcmp(kind, p->kind) == 0 && strcmp(subject, p->subject) == 0)
        return true;
    /* a delegate for the person: on behalf of a name, which is the principal's */
    return p->on_behalf_of &&
           (same_name(p->on_behalf_of, subject) || (name && same_name(p->on_behalf_of, name)));
}

/* How a person is named in a detail: its text, or the principal's name or subject. */
static const char *
person_text(const json_t *j_person)
{
    if (json_is_string(j_person))
        return json_string_value(j_person);
    const char *name = json_string_value(json_object_get(j_person, "name"));
    return name ? name : json_string_value(json_object_get(j_person, "subject"));
}

int
access_check_sod(const struct principal *p, const char *what, const json_t *j_owner,
                 const json_t *j_assignees, const struct principal *creator, char *detail,
                 size_t detail_size)
{
    size_t i;
    const json_t *v;
    bool approve = strcmp(what, "approve") == 0;
    const char *verb = approve ? "approve this case" : "judge the effectiveness of its actions";

    if (j_owner != NULL && access_is_named(p, j_owner)) {
        snprintf(detail, detail_size, "the owner of a case (%.64s) may not %s",
                 person_text(j_owner), verb);
        return ERR_SEGREGATION;
    }
    json_array_foreach(j_assignees, i, v)
    {
        if (access_is_named(p, v)) {
            snprintf(detail, detail_size, "an assignee of the case's actions (%.64s) may not %s",
                     person_text(v), verb);
            return ERR_SEGREGATION;
        }
    }
    /* the one who raised it cannot sign it off: nobody approves their own change */
    if (approve && creator && creator->kind && creator->subject &&
        strcmp(p->kind, creator->kind) == 0 && strcmp(p->subject, creator->subject) == 0) {
        snprintf(detail, detail_size, "the principal that raised a case may not approve it");
        return ERR_SEGREGATION;
    }
    if (approve && creator && access_is_person(p, creator->on_behalf_of)) {
        snprintf(detail, detail_size, "the person a case was raised for (%.64s) may not approve it",
                 creator->on_behalf_of);
        return ERR_SEGREGATION;
    }
    return ERR_OK;
}

const char *
access_bearer_token(const char *header, const char **reason)
{
    static const char token68[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                  "0123456789-._~+/";
    if (header == NULL) {
        *reason = "missing";
        return NULL;
    }
    *reason = "malformed";
    if (strncasecmp(header, "Bearer ", 7) != 0)
        return NULL;
    const char *t = header + 7;
    t += strspn(t, " ");
    size_t n = strspn(t, token68);
    n += strspn(t + n, "=");
    if (n == 0 || t[n] != '\0')
        return NULL;
    if (n > ACCESS_CREDENTIAL_MAX) {
        *reason = "too_long";
        return NULL;
    }
    return t;
}
