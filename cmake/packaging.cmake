# The Debian package: `cpack -G DEB` in the build directory makes netmon_<version>_<arch>.deb.
# Its maintainer scripts (deploy/debian/) create the users and the group, apply the sysctl and
# enable the units; /etc/netmon/netmon.yml is a conffile, so dpkg keeps an edited one.

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME netmon)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "netmon")
set(CPACK_PACKAGE_CONTACT "netmon maintainers <maintainers@users.noreply.r-seed-2970e17f.example>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "Outbound connections of a Linux router, live in a browser
netmon reads the kernel's connection tracking table, keeps the flows from the LAN to public
addresses with their byte counters in an SQLite database and remembers every remote host seen.
netmon-ingest (CAP_NET_ADMIN only) writes the database; netmon-web serves a read-only
dashboard and JSON API on the LAN address, unprivileged.")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Shared-library dependencies come from dpkg-shlibdeps (dpkg-dev); the maintainer scripts need
# adduser; netmon-web serves the history pages' charts from libjs-chart.js's installed file
# (/usr/share/javascript/chart.js/chart.min.js, webui/history_pages.h); conntrack-tools is
# handy to look at the table by hand; ieee-data's registry gives devices their vendors' names
# (names.oui_file; without it, devices have none, with one warning).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser, libjs-chart.js")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "ieee-data")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "conntrack")

# Everything under /usr, except /etc/netmon/netmon.yml, which install.cmake puts under DESTDIR:
# hence DESTDIR-based packaging.
set(CPACK_SET_DESTDIR ON)
set(CPACK_STRIP_FILES ON)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)

set(NETMON_DEBIAN_DIR "${CMAKE_CURRENT_BINARY_DIR}/debian-control")
file(MAKE_DIRECTORY "${NETMON_DEBIAN_DIR}")
file(WRITE "${NETMON_DEBIAN_DIR}/conffiles" "/etc/netmon/netmon.yml\n")
foreach(script postinst prerm postrm)
  configure_file("${CMAKE_CURRENT_SOURCE_DIR}/deploy/debian/${script}" "${NETMON_DEBIAN_DIR}/${script}" COPYONLY)
endforeach()
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    "${NETMON_DEBIAN_DIR}/conffiles;${NETMON_DEBIAN_DIR}/postinst;${NETMON_DEBIAN_DIR}/prerm;${NETMON_DEBIAN_DIR}/postrm")
# conffiles 0644, maintainer scripts 0755, as dpkg expects, whatever the checkout's modes.
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

include(CPack)
