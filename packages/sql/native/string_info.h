#ifndef DBMESH_STRING_INFO_H
#define DBMESH_STRING_INFO_H
#include <stdarg.h>

// PostgreSQL's lib/stringinfo.h, the part fast_append_string_info.c uses (the struct is unchanged since 2003).
// libpg_query.a defines these functions; native/test/format_harness.c defines stand-ins.
typedef struct StringInfoData {
  char* data;
  int len;
  int maxlen;
  int cursor;
} StringInfoData;
typedef StringInfoData* StringInfo;

extern void enlargeStringInfo(StringInfo str, int needed);
extern int appendStringInfoVA(StringInfo str, const char* fmt, va_list args);
void appendStringInfo(StringInfo str, const char* fmt, ...);

#endif
